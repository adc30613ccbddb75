// Marathon's semantic app validation (spec §2.2, "Object is not valid"): the checks that need
// the whole definition rather than one field's JSON type. Messages follow Marathon's accord
// validators where the spec quotes them; paths use Play's `/a/b(0)/c` notation.
import { idErrors } from "../ids/PathId.ts"
import { isResident, portNamesOf, servicePortsOf } from "./AppDef.ts"
import type { Draft } from "./AppNormalizer.ts"
import { isObject, type JsonObject, type PathErrors } from "./Shape.ts"

/** Scala's Double.toString, as it appears in Marathon's messages ("got 1.2", "1.0"). */
export const scalaDouble = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n))

const between01 = (errors: Array<PathErrors>, path: string, v: number) => {
  if (v < 0 || v > 1) errors.push({ path, errors: [`got ${scalaDouble(v)}, expected between 0.0 and 1.0`] })
}

const hasRunnableContainer = (body: JsonObject): boolean => {
  const c = body["container"]
  return isObject(c) && (isObject(c["docker"]) || isObject(c["appc"]))
}

/**
 * Validates a normalised draft. `body` is the merged request before normalisation: the
 * cmd/args/container rule looks at what the client asked for, not at emulator defaults.
 */
export const appRuleErrors = (rawId: string, body: JsonObject, draft: Draft): Array<PathErrors> => {
  const errors: Array<PathErrors> = []
  const idProblems = idErrors(rawId)
  if (idProblems.length > 0) errors.push({ path: "/id", errors: idProblems })

  const cmd = typeof body["cmd"] === "string"
  const args = Array.isArray(body["args"]) && body["args"].length > 0
  if (!((cmd !== args) || (!(cmd && args) && hasRunnableContainer(body)))) {
    errors.push({ path: "/", errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] })
  }
  if (typeof body["cmd"] === "string" && body["cmd"].length <= 1) {
    errors.push({ path: "/cmd", errors: ["must not be an empty string"] })
  }

  const us = draft.upgradeStrategy as JsonObject & { minimumHealthCapacity: number; maximumOverCapacity: number }
  between01(errors, "/upgradeStrategy/minimumHealthCapacity", us.minimumHealthCapacity)
  between01(errors, "/upgradeStrategy/maximumOverCapacity", us.maximumOverCapacity)
  const labels = draft["labels"] as Readonly<Record<string, string>>
  if (labels["MARATHON_SINGLE_INSTANCE_APP"] === "true") {
    if (draft.instances > 1) errors.push({ path: "/instances", errors: [`got ${draft.instances}, expected 1 or less`] })
    if (us.minimumHealthCapacity !== 0 || us.maximumOverCapacity !== 0) {
      errors.push({
        path: "/upgradeStrategy",
        errors: ["Single instance app may only have upgradeStrategy {minimumHealthCapacity: 0, maximumOverCapacity: 0}"]
      })
    }
  }
  if (isResident(draft) && us.maximumOverCapacity !== 0) {
    errors.push({ path: "/upgradeStrategy/maximumOverCapacity", errors: [`got ${scalaDouble(us.maximumOverCapacity)}, expected 0.0`] })
  }

  const portCount = servicePortsOf(draft).length
  const hcs = Array.isArray(draft["healthChecks"]) ? (draft["healthChecks"] as ReadonlyArray<JsonObject>) : []
  hcs.forEach((hc, i) => {
    if (typeof hc["portIndex"] === "number" && hc["portIndex"] >= portCount && hc["port"] === undefined) {
      errors.push({
        path: `/healthChecks(${i})`,
        errors: ["Health check port indices must address an element of the ports array or container port mappings."]
      })
    }
  })
  if (hcs.filter((hc) => String(hc["protocol"]).startsWith("MESOS_") || hc["protocol"] === "COMMAND").length > 1) {
    errors.push({ path: "/healthChecks", errors: ["AppDefinition can contain at most one Mesos health check."] })
  }

  const rcs = Array.isArray(draft["readinessChecks"]) ? (draft["readinessChecks"] as ReadonlyArray<JsonObject>) : []
  if (rcs.length > 1) errors.push({ path: "/readinessChecks", errors: ["must be less than or equal to 1"] })
  const names = portNamesOf(draft)
  rcs.forEach((rc, i) => {
    if ((rc["timeoutSeconds"] as number) >= (rc["intervalSeconds"] as number)) {
      errors.push({ path: `/readinessChecks(${i})`, errors: ["The timeout of the readiness check must be smaller than its interval."] })
    }
    if (!names.includes(rc["portName"] as string)) {
      errors.push({
        path: `/readinessChecks(${i})/portName`,
        errors: [`Readiness check port name '${String(rc["portName"])}' must be defined in portDefinitions or portMappings.`]
      })
    }
  })
  return errors
}
