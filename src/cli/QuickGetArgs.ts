// Pure: recognises the plain `mdeploy get` command lines, the ones people type most, so that the
// binary can answer them without loading the command-line module and every command's flag
// definitions (about half of `get`'s start-up; bench/startup.ts). Only a line whose meaning is
// certain is taken: `get`, instance names, `-o`, `-l`, `--show-labels` and the global connection
// flags, each at most once. Anything else (help, `-w`, another kind, an unknown or repeated flag,
// an invalid `-o`, an empty value) returns undefined and goes to the full parser, which accepts
// or refuses it as it always has; so the quick path can never accept what the parser refuses.
import { defaultEndpoint, defaultPrefix } from "../store/EtcdOptions.ts"
import type { EtcdSettings } from "./ConnectionOptions.ts"
import { namesOtherKind } from "./commands/get/ResourceNouns.ts"
import type { OutputFormat } from "./OutputFormats.ts"
import type { LogSettings } from "../telemetry/LogSettings.ts"
import { logSettingsOf } from "../telemetry/LogSettings.ts"

export interface QuickGet {
  readonly names: ReadonlyArray<string>
  readonly selector: string | undefined
  readonly showLabels: boolean
  readonly output: OutputFormat
  readonly settings: EtcdSettings
  /** From MDEPLOY_LOG_FORMAT and MDEPLOY_LOG_LEVEL (a value the quick path does not accept: not quick). */
  readonly log: LogSettings
}

const outputs: ReadonlyArray<OutputFormat> = ["table", "yaml", "json", "wide", "name"]

/** Value flags, by every spelling the parser accepts, and their environment variables. */
const valueFlags: Record<string, { readonly key: string; readonly variable?: string }> = {
  "--etcd": { key: "etcd", variable: "MDEPLOY_ETCD_ENDPOINTS" },
  "--etcd-prefix": { key: "etcdPrefix", variable: "MDEPLOY_ETCD_PREFIX" },
  "--etcd-ca": { key: "etcdCa", variable: "MDEPLOY_ETCD_CA" },
  "--etcd-cert": { key: "etcdCert", variable: "MDEPLOY_ETCD_CERT" },
  "--etcd-key": { key: "etcdKey", variable: "MDEPLOY_ETCD_KEY" },
  "--etcd-user": { key: "etcdUser", variable: "MDEPLOY_ETCD_USER" },
  "--etcd-password": { key: "etcdPassword", variable: "MDEPLOY_ETCD_PASSWORD" },
  // Read by the context lookup before parsing, or not used by `get`: taken, and left alone.
  "--context": { key: "context" },
  "--marathon": { key: "marathon" },
  "--owner": { key: "owner" },
  "--output": { key: "output" },
  "-o": { key: "output" },
  "--selector": { key: "selector" },
  "-l": { key: "selector" }
}

/**
 * `args`: the normalized command line (KubectlArgs.normalizeArgs: `-owide` is already `-o wide`,
 * `serviceinstance/web.main` already `web.main`); `env`: an environment variable's value, the
 * context's included.
 */
export const quickGet = (args: ReadonlyArray<string>, env: (name: string) => string | undefined): QuickGet | undefined => {
  const values = new Map<string, string>()
  const words: Array<string> = []
  let showLabels = false
  for (let index = 0; index < args.length; index++) {
    const token = args[index]!
    if (token === "--show-labels") {
      if (showLabels) return undefined
      showLabels = true
      continue
    }
    if (!token.startsWith("-")) {
      words.push(token)
      continue
    }
    const equals = token.indexOf("=")
    const flag = equals > 0 && (token.startsWith("--") || token.startsWith("-o=")) ? token.slice(0, equals) : token
    const known = valueFlags[flag]
    if (known === undefined) return undefined
    const value = flag === token ? args[++index] : token.slice(equals + 1)
    if (value === undefined || value === "" || value.startsWith("-") || values.has(known.key)) return undefined
    values.set(known.key, value)
  }
  if (words[0] !== "get" || namesOtherKind(words[1])) return undefined
  const output = values.get("output") ?? "table"
  if (!outputs.includes(output as OutputFormat)) return undefined
  const given = new Map<string, string | undefined>()
  for (const { key, variable } of Object.values(valueFlags)) {
    if (variable !== undefined) given.set(key, values.get(key) ?? env(variable))
  }
  // An empty environment variable: what the parser makes of it is the parser's business.
  if ([...given.values()].includes("")) return undefined
  const settings: EtcdSettings = {
    etcd: given.get("etcd") ?? defaultEndpoint,
    etcdPrefix: given.get("etcdPrefix") ?? defaultPrefix,
    etcdCa: given.get("etcdCa"),
    etcdCert: given.get("etcdCert"),
    etcdKey: given.get("etcdKey"),
    etcdUser: given.get("etcdUser"),
    etcdPassword: given.get("etcdPassword")
  }
  const log = logSettingsOf(env)
  if (log === undefined) return undefined
  return {
    names: words.slice(1),
    selector: values.get("selector"),
    showLabels,
    output: output as OutputFormat,
    settings,
    log
  }
}
