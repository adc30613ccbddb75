// The normalised app definition the emulator stores and serves: Marathon's defaults filled in,
// deprecated fields converted, service ports assigned. Stored definitions are never mutated;
// every change produces a new object, which lets views cache their JSON per definition.
import type { Json, JsonObject } from "./Shape.ts"

export type HealthCheckDef = {
  readonly protocol: string
  readonly gracePeriodSeconds: number
  readonly intervalSeconds: number
  readonly timeoutSeconds: number
  readonly maxConsecutiveFailures: number
  readonly delaySeconds: number
  readonly [k: string]: Json
}

export type ReadinessCheckDef = {
  readonly name: string
  readonly protocol: string
  readonly path: string
  readonly portName: string
  readonly intervalSeconds: number
  readonly timeoutSeconds: number
  readonly httpStatusCodesForReady: ReadonlyArray<number>
  readonly preserveLastResponse: boolean
}

export type UpgradeStrategy = {
  readonly minimumHealthCapacity: number
  readonly maximumOverCapacity: number
}

export type VersionInfo = {
  readonly lastScalingAt: string
  readonly lastConfigChangeAt: string
}

export type AppDef = JsonObject & {
  readonly id: string
  readonly instances: number
  readonly cmd?: string
  readonly labels: Readonly<Record<string, string>>
  readonly healthChecks?: ReadonlyArray<HealthCheckDef>
  readonly readinessChecks?: ReadonlyArray<ReadinessCheckDef>
  readonly upgradeStrategy: UpgradeStrategy
  readonly backoffSeconds: number
  readonly backoffFactor: number
  readonly maxLaunchDelaySeconds: number
  readonly killSelection: string
  readonly dependencies?: ReadonlyArray<string>
  readonly version: string
  readonly versionInfo: VersionInfo
}

/** Fields Marathon leaves out of its JSON when empty (spec §0). */
export const omitWhenEmpty = ["args", "constraints", "dependencies", "env", "fetch", "healthChecks", "readinessChecks", "secrets"]

/** The service ports of an app, in port order. */
export const servicePortsOf = (def: JsonObject): Array<number> => {
  const pm = portMappingsOf(def)
  if (pm !== undefined) return pm.map((m) => (typeof m["servicePort"] === "number" ? m["servicePort"] : 0))
  const pds = def["portDefinitions"]
  return Array.isArray(pds) ? (pds as ReadonlyArray<JsonObject>).map((p) => (typeof p["port"] === "number" ? p["port"] : 0)) : []
}

/** Container port mappings when the app uses container or bridge networking. */
export const portMappingsOf = (def: JsonObject): ReadonlyArray<JsonObject> | undefined => {
  const container = def["container"]
  if (!isHostNetworked(def) && typeof container === "object" && container !== null && !Array.isArray(container)) {
    const pm = (container as JsonObject)["portMappings"]
    if (Array.isArray(pm)) return pm as ReadonlyArray<JsonObject>
  }
  return undefined
}

export const isHostNetworked = (def: JsonObject): boolean => {
  const networks = def["networks"]
  if (!Array.isArray(networks) || networks.length === 0) return true
  return (networks as ReadonlyArray<JsonObject>).every((n) => n["mode"] === "host")
}

/** Apps with persistent volumes are "resident" (pinned to their agent). */
export const isResident = (def: JsonObject): boolean => {
  const container = def["container"]
  if (typeof container !== "object" || container === null || Array.isArray(container)) return false
  const volumes = (container as JsonObject)["volumes"]
  return Array.isArray(volumes) && volumes.some((v) => typeof v === "object" && v !== null && "persistent" in v)
}

/** The port names an app declares (portDefinitions or portMappings), for readiness checks. */
export const portNamesOf = (def: JsonObject): Array<string | undefined> => {
  const pm = portMappingsOf(def)
  const list = pm ?? (Array.isArray(def["portDefinitions"]) ? (def["portDefinitions"] as ReadonlyArray<JsonObject>) : [])
  return list.map((p) => (typeof p["name"] === "string" ? p["name"] : undefined))
}
