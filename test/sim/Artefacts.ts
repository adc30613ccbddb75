// Marathon's API artefacts, copied into test/fixtures/marathon-api (Apache-2.0), and the validators built
// from them: the old JSON schema for app definitions (with the fields it predates stripped) and
// the RAML types for response bodies.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Ajv, type ValidateFunction } from "ajv"
import addFormats from "ajv-formats"
import { RamlSchemas } from "./RamlSchemas.ts"

export const apiDir = process.env["MDEPLOY_MARATHON_API"] ?? fileURLToPath(new URL("../fixtures/marathon-api/", import.meta.url))

export const readJson = (relative: string): unknown => JSON.parse(readFileSync(join(apiDir, relative), "utf8"))

/** Every `*.json` request example: v2/examples bodies an app endpoint accepts, and extra-examples. */
export const exampleFiles = (folder: string): Array<string> => {
  const out: Array<string> = []
  const walk = (rel: string) => {
    for (const e of readdirSync(join(apiDir, rel), { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(rel, e.name))
      else if (e.name.endsWith(".json")) out.push(join(rel, e.name))
    }
  }
  walk(folder)
  return out.sort()
}

const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateFormats: true })
addFormats.default(ajv)

const appSchema = readJson("v2/schema/AppDefinition.json") as Record<string, unknown>
delete appSchema["$schema"]
const validateAppDefinition = ajv.compile(appSchema)

/** AppInfo status fields: not part of an app definition. */
const statusFields = [
  "tasksStaged",
  "tasksRunning",
  "tasksHealthy",
  "tasksUnhealthy",
  "deployments",
  "tasks",
  "lastTaskFailure",
  "readinessCheckResults",
  "tasksStats"
]
/** App fields added after the JSON schema was frozen (2018): the RAML has them, the schema not. */
export const newerThanSchema = ["role", "tty", "check", "resourceLimits"]

const describe = (v: ValidateFunction): string =>
  (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("; ")

/** Errors of an app (definition or AppInfo) against AppDefinition.json; "" when valid. */
export const appDefinitionErrors = (app: unknown): string => {
  const copy = { ...(app as Record<string, unknown>) }
  for (const k of [...statusFields, ...newerThanSchema]) delete copy[k]
  return validateAppDefinition(copy) ? "" : describe(validateAppDefinition)
}

const raml = new RamlSchemas(join(apiDir, "v2/types"))
const ramlValidators = new Map<string, ValidateFunction>()

/** Errors of a body against a RAML type such as ("task.raml", "TaskList"); "" when valid. */
export const ramlErrors = (file: string, type: string, body: unknown): string => {
  const key = `${file}#${type}`
  let v = ramlValidators.get(key)
  if (v === undefined) {
    v = ajv.compile(raml.schema(file, type))
    ramlValidators.set(key, v)
  }
  return v(asRamlTypes(body)) ? "" : describe(v)
}

/**
 * Where Marathon 1.10.26's code writes what its RAML does not allow, the body is checked as the RAML
 * would see it: readiness results carry the task id (`ReadinessCheckResult.taskId: Task.Id`, written
 * with `idString`), which the RAML types as an instance id. Nothing else is touched.
 */
const asRamlTypes = (body: unknown): unknown =>
  JSON.stringify(body).includes("readinessCheckResults")
    ? JSON.parse(JSON.stringify(body), (key, value) =>
      key === "taskId" && typeof value === "string" ? value.replace(/\._app\.\d+$/, "") : value)
    : body
