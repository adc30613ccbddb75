// "Read back equivalent": what an example request asked for must be what the emulator stores,
// up to Marathon's documented normalisation (spec §0, §2.1, §8): absolute ids, defaults added,
// empty optional fields left out, port 0 replaced by an assigned port, the deprecated `ports`,
// `uris`, `ipAddress` and docker `network`/`portMappings` fields converted, and port
// definitions emptied under container networking.
import { assert } from "@effect/vitest"

type Obj = Record<string, any>

const canonical = (id: string, base: string) => {
  const parts = id.startsWith("/") ? [] : base.split("/").filter(Boolean)
  for (const s of id.split("/")) {
    if (s === "" || s === ".") continue
    if (s === "..") parts.pop()
    else parts.push(s)
  }
  return "/" + parts.join("/")
}

const isEmpty = (v: unknown) =>
  (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)

/** Fields Marathon's readers ignore (unknown to its model), seen in the examples. */
const ignored: Record<string, ReadonlyArray<string>> = { "/container/docker": ["forcePull", "requirePorts", "network", "portMappings"] }
/** Fields that are only read on create and never stored as sent. */
const notStored = ["version", "versionInfo"]
/** Ports that the emulator assigns when the request says 0. */
const assigned = new Set(["port", "servicePort"])

const equivalent = (sent: unknown, got: unknown, path: string): void => {
  if (isEmpty(sent) && (got === undefined || isEmpty(got))) return
  if (Array.isArray(sent)) {
    assert.isArray(got, path)
    assert.lengthOf(got as Array<unknown>, sent.length, path)
    sent.forEach((v, i) => equivalent(v, (got as Array<unknown>)[i], `${path}(${i})`))
    return
  }
  if (typeof sent === "object" && sent !== null) {
    assert.isObject(got, path)
    for (const [k, v] of Object.entries(sent)) {
      if ((ignored[path] ?? []).includes(k)) continue
      const here = `${path}/${k}`
      if (assigned.has(k) && v === 0) {
        assert.isNumber((got as Obj)[k], here)
        continue
      }
      equivalent(v, (got as Obj)[k], here)
    }
    return
  }
  assert.strictEqual(got, sent, path)
}

const dockerModes: Record<string, string> = { BRIDGE: "container/bridge", HOST: "host", USER: "container" }

/** Asserts that `got` (an AppInfo or App) stores what `sent` asked for. */
export const assertReadBack = (sentApp: Obj, got: Obj, base = "/"): void => {
  const sent: Obj = { ...sentApp }
  for (const k of notStored) delete sent[k]
  assert.strictEqual(got["id"], canonical(String(sent["id"]), base))
  delete sent["id"]
  if (Array.isArray(sent["dependencies"])) {
    const parentId = (got["id"] as string).split("/").slice(0, -1).join("/") || "/"
    sent["dependencies"] = sent["dependencies"].map((d: string) => canonical(d, parentId))
  }
  const docker = sent["container"]?.["docker"]
  const mappings = docker?.["portMappings"] ?? sent["container"]?.["portMappings"]
  if (sent["uris"] !== undefined) {
    assert.deepStrictEqual((got["fetch"] ?? []).map((f: Obj) => f["uri"]), sent["uris"], "/uris → /fetch")
    delete sent["uris"]
  }
  if (sent["ports"] !== undefined) {
    const servicePorts = got["container"]?.["portMappings"]?.map((m: Obj) => m["servicePort"]) ??
      got["portDefinitions"].map((p: Obj) => p["port"])
    assert.lengthOf(servicePorts, sent["ports"].length, "/ports → service ports")
    sent["ports"].forEach((p: number, i: number) => {
      if (p !== 0) assert.strictEqual(servicePorts[i], p, `/ports(${i})`)
    })
    delete sent["ports"]
  }
  const legacyMode = docker?.["network"] ?? (sent["ipAddress"] !== undefined ? "USER" : undefined)
  if (legacyMode !== undefined && sent["networks"] === undefined) {
    assert.strictEqual(got["networks"][0]["mode"], dockerModes[legacyMode], "/container/docker/network → /networks")
    if (sent["ipAddress"]?.["networkName"] !== undefined) assert.strictEqual(got["networks"][0]["name"], sent["ipAddress"]["networkName"])
  }
  if (sent["ipAddress"]?.["discovery"]?.["ports"] !== undefined && mappings === undefined) {
    const ports = got["container"]["portMappings"]
    sent["ipAddress"]["discovery"]["ports"].forEach((p: Obj, i: number) => {
      assert.strictEqual(ports[i]["containerPort"], p["number"])
      assert.strictEqual(ports[i]["name"], p["name"])
    })
  }
  delete sent["ipAddress"]
  // With container or bridge networking the service ports live in container.portMappings and
  // portDefinitions are emptied (they only describe host networking).
  if (got["networks"].some((n: Obj) => n["mode"] !== "host")) {
    assert.deepStrictEqual(got["portDefinitions"], [], "/portDefinitions under container networking")
    delete sent["portDefinitions"]
  }
  if (docker?.["portMappings"] !== undefined) {
    equivalent(docker["portMappings"], got["container"]["portMappings"], "/container/portMappings")
  }
  equivalent(sent, got, "")
}
