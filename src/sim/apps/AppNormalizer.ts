// Turns a read request body into Marathon's normalised app definition (spec §8 defaults):
// defaults filled in, deprecated fields (`ports`, `uris`, `ipAddress`, docker `network` and
// `portMappings`) converted the way Marathon ≥1.5 does, empty optional fields dropped, keys in a
// fixed order. Versions and service-port numbers are assigned later, by the write path.
import { canonical, parent } from "../ids/PathId.ts"
import { isResident, omitWhenEmpty } from "./AppDef.ts"
import { isObject, type Json, type JsonObject } from "./Shape.ts"

/** A normalised definition that has not been given a version yet. */
export type Draft = JsonObject & { readonly id: string; readonly instances: number }

const healthDefaults = { gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15 }

const normalizeHealthCheck = (hc: JsonObject): JsonObject => {
  const protocol = typeof hc["protocol"] === "string" ? hc["protocol"] : "HTTP"
  const http = protocol.includes("HTTP")
  const out: Record<string, Json> = { protocol }
  if (http) out["path"] = hc["path"] ?? "/"
  if (hc["command"] !== undefined) out["command"] = hc["command"]
  if (hc["port"] !== undefined) out["port"] = hc["port"]
  else if (protocol !== "COMMAND") out["portIndex"] = hc["portIndex"] ?? 0
  for (const [k, v] of Object.entries(healthDefaults)) out[k] = hc[k] ?? v
  if (protocol === "HTTP" || protocol === "HTTPS") out["ignoreHttp1xx"] = hc["ignoreHttp1xx"] ?? false
  if (protocol.startsWith("MESOS_")) out["ipProtocol"] = hc["ipProtocol"] ?? "IPv4"
  return out
}

const normalizeReadiness = (rc: JsonObject): JsonObject => ({
  name: rc["name"] ?? "readinessCheck",
  protocol: rc["protocol"] ?? "HTTP",
  path: rc["path"] ?? "/",
  portName: rc["portName"] ?? "http-api",
  intervalSeconds: rc["intervalSeconds"] ?? 30,
  timeoutSeconds: rc["timeoutSeconds"] ?? 10,
  httpStatusCodesForReady: rc["httpStatusCodesForReady"] ?? [200],
  preserveLastResponse: rc["preserveLastResponse"] ?? false
})

const normalizePort = (p: JsonObject, numberKey: string, extra: ReadonlyArray<string>): JsonObject => {
  const out: Record<string, Json> = {}
  for (const k of extra) if (p[k] !== undefined) out[k] = p[k]
  out[numberKey] = p[numberKey] ?? 0
  out["protocol"] = p["protocol"] ?? "tcp"
  if (p["name"] !== undefined) out["name"] = p["name"]
  if (isObject(p["labels"]) && Object.keys(p["labels"]).length > 0) out["labels"] = p["labels"]
  if (Array.isArray(p["networkNames"]) && p["networkNames"].length > 0) out["networkNames"] = p["networkNames"]
  return out
}

const dockerNetworkMode: Record<string, string> = { BRIDGE: "container/bridge", HOST: "host", USER: "container", NONE: "container" }

/** Converts deprecated networking fields; returns the networks and port mappings to use. */
const networking = (raw: JsonObject, docker: JsonObject | undefined) => {
  const ip = isObject(raw["ipAddress"]) ? raw["ipAddress"] : undefined
  let networks: ReadonlyArray<Json> | undefined = Array.isArray(raw["networks"]) ? raw["networks"] : undefined
  const legacyMode = typeof docker?.["network"] === "string"
    ? dockerNetworkMode[docker["network"]]
    : ip !== undefined
    ? "container"
    : undefined
  if (networks === undefined && legacyMode !== undefined) {
    const net: Record<string, Json> = { mode: legacyMode }
    if (legacyMode === "container" && typeof ip?.["networkName"] === "string") net["name"] = ip["networkName"]
    if (legacyMode !== "host" && isObject(ip?.["labels"]) && Object.keys(ip["labels"]).length > 0) net["labels"] = ip["labels"]
    networks = [net]
  }
  networks = (networks ?? [{ mode: "host" }]).map((n) => {
    const o: JsonObject = isObject(n) ? n : {}
    const out: Record<string, Json> = { mode: o["mode"] ?? "container" }
    if (o["name"] !== undefined) out["name"] = o["name"]
    if (isObject(o["labels"]) && Object.keys(o["labels"]).length > 0) out["labels"] = o["labels"]
    return out
  })
  let mappings: ReadonlyArray<Json> | undefined = undefined
  const discovery = isObject(ip?.["discovery"]) ? ip["discovery"] : undefined
  if (Array.isArray(discovery?.["ports"])) {
    mappings = (discovery["ports"] as ReadonlyArray<JsonObject>).map((p) => {
      const m: Record<string, Json> = { containerPort: p["number"] ?? 0, protocol: p["protocol"] ?? "tcp" }
      if (p["name"] !== undefined) m["name"] = p["name"]
      if (p["labels"] !== undefined) m["labels"] = p["labels"]
      return m
    })
  }
  if (Array.isArray(docker?.["portMappings"])) mappings = docker["portMappings"]
  return { networks, legacyMappings: mappings }
}

const normalizeContainer = (c: JsonObject, host: boolean, legacyMappings: ReadonlyArray<Json> | undefined): JsonObject => {
  const out: Record<string, Json> = { type: c["type"] ?? "DOCKER" }
  if (isObject(c["docker"])) {
    const d = c["docker"]
    const docker: Record<string, Json> = {}
    for (const [k, v] of Object.entries(d)) if (k !== "network" && k !== "portMappings") docker[k] = v
    docker["forcePullImage"] = d["forcePullImage"] ?? false
    docker["privileged"] = d["privileged"] ?? false
    docker["parameters"] = d["parameters"] ?? []
    out["docker"] = docker
  }
  if (c["linuxInfo"] !== undefined) out["linuxInfo"] = c["linuxInfo"]
  out["volumes"] = c["volumes"] ?? []
  const pm = Array.isArray(c["portMappings"]) ? c["portMappings"] : legacyMappings
  if (!host) {
    const list = pm ?? [{ containerPort: 0 }]
    out["portMappings"] = list.map((m) => normalizePort(isObject(m) ? m : {}, "containerPort", ["hostPort", "servicePort"]))
      .map((m) => ({ ...m, servicePort: m["servicePort"] ?? 0 }))
  }
  return out
}

/** Normalises a body that already passed the shape reader. `id` is the canonical app id. */
export const normalize = (raw: JsonObject, id: string): Draft => {
  const docker = isObject(raw["container"]) && isObject(raw["container"]["docker"]) ? raw["container"]["docker"] : undefined
  const { networks, legacyMappings } = networking(raw, docker)
  const host = networks.every((n) => isObject(n) && n["mode"] === "host")
  const resident = isResident(raw)
  const o: Record<string, Json> = { id }
  const copy = (k: string) => {
    if (raw[k] !== undefined) o[k] = raw[k]
  }
  copy("acceptedResourceRoles")
  copy("args")
  o["backoffFactor"] = raw["backoffFactor"] ?? 1.15
  o["backoffSeconds"] = raw["backoffSeconds"] ?? 1
  copy("cmd")
  copy("constraints")
  if (isObject(raw["container"])) o["container"] = normalizeContainer(raw["container"], host, legacyMappings)
  else if (!host) o["container"] = normalizeContainer({ type: "MESOS" }, host, legacyMappings)
  o["cpus"] = raw["cpus"] ?? 1
  if (Array.isArray(raw["dependencies"])) o["dependencies"] = raw["dependencies"].map((d) => canonical(String(d), parent(id)))
  o["disk"] = raw["disk"] ?? 0
  copy("env")
  o["executor"] = raw["executor"] ?? ""
  copy("executorResources")
  const fetch = raw["fetch"] ?? (Array.isArray(raw["uris"]) ? raw["uris"].map((uri) => ({ uri })) : undefined)
  if (Array.isArray(fetch)) {
    o["fetch"] = fetch.map((f) => {
      const a: JsonObject = isObject(f) ? f : {}
      const out: Record<string, Json> = {
        uri: a["uri"] ?? "",
        extract: a["extract"] ?? true,
        executable: a["executable"] ?? false,
        cache: a["cache"] ?? false
      }
      if (a["destPath"] !== undefined) out["destPath"] = a["destPath"]
      return out
    })
  }
  if (Array.isArray(raw["healthChecks"])) o["healthChecks"] = raw["healthChecks"].map((h) => normalizeHealthCheck(isObject(h) ? h : {}))
  copy("check")
  o["instances"] = raw["instances"] ?? 1
  o["labels"] = raw["labels"] ?? {}
  o["maxLaunchDelaySeconds"] = raw["maxLaunchDelaySeconds"] ?? 300
  o["mem"] = raw["mem"] ?? 128
  o["gpus"] = raw["gpus"] ?? 0
  o["networks"] = networks
  if (host) {
    const pds = raw["portDefinitions"] ??
      (Array.isArray(raw["ports"]) ? raw["ports"].map((port) => ({ port })) : [{ port: 0, name: "default" }])
    o["portDefinitions"] = (pds as ReadonlyArray<Json>).map((p) => normalizePort(isObject(p) ? p : {}, "port", []))
  } else {
    o["portDefinitions"] = []
  }
  if (Array.isArray(raw["readinessChecks"])) {
    o["readinessChecks"] = raw["readinessChecks"].map((r) => normalizeReadiness(isObject(r) ? r : {}))
  }
  copy("residency")
  copy("resourceLimits")
  o["requirePorts"] = raw["requirePorts"] ?? false
  copy("secrets")
  copy("taskKillGracePeriodSeconds")
  const us = isObject(raw["upgradeStrategy"]) ? raw["upgradeStrategy"] : {}
  o["upgradeStrategy"] = {
    minimumHealthCapacity: us["minimumHealthCapacity"] ?? (resident ? 0.5 : 1),
    maximumOverCapacity: us["maximumOverCapacity"] ?? (resident ? 0 : 1)
  }
  copy("user")
  o["killSelection"] = raw["killSelection"] ?? "YOUNGEST_FIRST"
  const unreachable = raw["unreachableStrategy"]
  o["unreachableStrategy"] = isObject(unreachable)
    ? { inactiveAfterSeconds: unreachable["inactiveAfterSeconds"] ?? 0, expungeAfterSeconds: unreachable["expungeAfterSeconds"] ?? 0 }
    : unreachable ?? (resident ? "disabled" : { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 })
  copy("tty")
  o["role"] = raw["role"] ?? "*"
  // Rebuilt rather than `delete`d: stored definitions keep fast (non-dictionary) objects.
  const out: Record<string, Json> = {}
  for (const [k, v] of Object.entries(o)) {
    if (omitWhenEmpty.includes(k) && ((Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0))) continue
    out[k] = v
  }
  return out as Draft
}

/** Fields a deprecated request field replaces, so a partial update can swap representations. */
export const supersededBy: Readonly<Record<string, ReadonlyArray<string>>> = {
  ports: ["portDefinitions"],
  uris: ["fetch"],
  ipAddress: ["networks"]
}
