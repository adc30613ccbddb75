// Pure: the mdeploy config file (`$MDEPLOY_CONFIG`, else `$XDG_CONFIG_HOME/mdeploy/config.yaml`,
// else `~/.config/mdeploy/config.yaml`), kubectl's kubeconfig reduced to what mdeploy connects to:
//
//   current-context: demo
//   contexts:
//     demo:
//       etcd: http://127.0.0.1:32379        # or a list of URLs
//       etcd-prefix: /mdeploy/v1
//       etcd-ca: certs/ca.pem                # relative paths are relative to this file
//       etcd-cert: certs/client.pem
//       etcd-key: certs/client-key.pem
//       etcd-user: deployer
//       marathon: http://127.0.0.1:38080     # or a list of URLs
//
// A context supplies values only where neither a flag nor an environment variable does, so it
// becomes the environment variable a flag already falls back to. Problems name file, line and field.
import { isAbsolute, resolve } from "node:path"
import type { Node } from "yaml"
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml"

/** Context field → the environment variable whose place it takes. */
export const contextFields = {
  "etcd": "MDEPLOY_ETCD_ENDPOINTS",
  "etcd-prefix": "MDEPLOY_ETCD_PREFIX",
  "etcd-ca": "MDEPLOY_ETCD_CA",
  "etcd-cert": "MDEPLOY_ETCD_CERT",
  "etcd-key": "MDEPLOY_ETCD_KEY",
  "etcd-user": "MDEPLOY_ETCD_USER",
  "marathon": "MDEPLOY_MARATHON_URLS"
} as const
export type ContextField = keyof typeof contextFields

const listFields = new Set<ContextField>(["etcd", "marathon"])
const fileFields = new Set<ContextField>(["etcd-ca", "etcd-cert", "etcd-key"])

export type Context = Partial<Record<ContextField, string>>

export interface MdeployConfig {
  readonly currentContext: string | undefined
  readonly contexts: ReadonlyMap<string, Context>
}

export const emptyConfig: MdeployConfig = { currentContext: undefined, contexts: new Map() }

/** Reads the file's text; problems are `file:line:col: field: message`, one per line. */
export const parseConfig = (
  text: string,
  file: string
): { readonly config: MdeployConfig; readonly problems: ReadonlyArray<string> } => {
  const lines = new LineCounter()
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  const problems: Array<string> = []
  const at = (node: Node | null | undefined, field: string, message: string) => {
    const offset = node?.range?.[0]
    const position = offset === undefined ? "" : (({ line, col }) => `:${line}:${col}`)(lines.linePos(offset))
    problems.push(`${file}${position}: ${field}: ${message}`)
  }
  for (const error of document.errors) {
    const { line, col } = lines.linePos(error.pos[0])
    problems.push(`${file}:${line}:${col}: ${error.message.split("\n")[0]}`)
  }
  if (problems.length > 0) return { config: emptyConfig, problems }
  const root = document.contents
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return { config: emptyConfig, problems }
  if (!isMap(root)) {
    at(root, "(top level)", "must be a mapping with current-context and contexts")
    return { config: emptyConfig, problems }
  }
  let currentContext: string | undefined
  const contexts = new Map<string, Context>()
  let currentNode: Node | null = null
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ""
    const value = pair.value as Node | null
    if (key === "current-context") {
      currentNode = value
      if (isScalar(value) && typeof value.value === "string") currentContext = value.value
      else if (!(isScalar(value) && value.value === null)) at(value, key, "must be a context name")
    } else if (key === "contexts") {
      if (isScalar(value) && value.value === null) continue
      if (!isMap(value)) {
        at(value, key, "must map context names to their settings")
        continue
      }
      for (const entry of value.items) {
        const name = isScalar(entry.key) ? String(entry.key.value) : ""
        const settings = entry.value as Node | null
        const context: Record<string, string> = {}
        if (isMap(settings)) {
          for (const field of settings.items) {
            const fieldName = isScalar(field.key) ? String(field.key.value) : ""
            const path = `contexts.${name}.${fieldName}`
            const fieldValue = field.value as Node | null
            if (!Object.hasOwn(contextFields, fieldName)) {
              at(field.key as Node, path, `unknown field (known: ${Object.keys(contextFields).join(", ")})`)
            } else if (isScalar(fieldValue) && (typeof fieldValue.value === "string" || typeof fieldValue.value === "number")) {
              context[fieldName] = String(fieldValue.value)
            } else if (
              isSeq(fieldValue) && listFields.has(fieldName as ContextField) &&
              fieldValue.items.every((item) => isScalar(item) && typeof item.value === "string")
            ) {
              context[fieldName] = fieldValue.items.map((item) => String((item as { value: unknown }).value)).join(",")
            } else {
              at(
                fieldValue ?? (field.key as Node),
                path,
                listFields.has(fieldName as ContextField) ? "must be a URL or a list of URLs" : "must be a string"
              )
            }
          }
        } else if (!(isScalar(settings) && settings.value === null)) {
          at(settings, `contexts.${name}`, "must be a mapping of settings")
        }
        contexts.set(name, context)
      }
    } else {
      at(pair.key as Node, key, "unknown field (known: current-context, contexts)")
    }
  }
  if (currentContext !== undefined && !contexts.has(currentContext)) {
    at(currentNode, "current-context", `no context named "${currentContext}" in contexts`)
  }
  return { config: { currentContext, contexts }, problems }
}

/** The context as environment variables; relative file paths are resolved against the config file's directory. */
export const contextEnv = (context: Context, configDir: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [field, value] of Object.entries(context) as Array<[ContextField, string]>) {
    env[contextFields[field]] = fileFields.has(field) && !isAbsolute(value) ? resolve(configDir, value) : value
  }
  return env
}
