// Conformance statements 64–66 of spec §6 (leader, info, auth, headers) and the remaining
// cross-cutting behaviour of spec §0 (ping, unknown routes, methods).
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { SseReader } from "./SseReader.ts"
import { deployApp, startSim, web, type Api, type Harness } from "./SimHarness.ts"

describe("leader, info, headers", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(() => h.sim.close())

  it("64: /v2/leader and /v2/info agree on the leader", async () => {
    const leader = (await api.get("/v2/leader")).json
    assert.deepStrictEqual(leader, { leader: `127.0.0.1:${h.sim.port}` })
    const info = (await api.get("/v2/info")).json
    assert.include(info, { name: "marathon", elected: true, leader: leader.leader })
    assert.strictEqual(info.http_config.http_port, h.sim.port)
  })

  it("66: every successful response carries the leader and cache headers", async () => {
    await deployApp(api)
    for (const path of ["/v2/apps", "/v2/apps/c/web", "/v2/tasks", "/v2/deployments", "/v2/info", "/v2/queue", "/v2/groups", "/ping"]) {
      const r = await api.get(path)
      assert.strictEqual(r.status, 200, path)
      assert.strictEqual(r.headers.get("x-marathon-leader"), `http://127.0.0.1:${h.sim.port}`, path)
      assert.strictEqual(r.headers.get("cache-control"), "no-cache, no-store, must-revalidate", path)
      assert.strictEqual(r.headers.get("pragma"), "no-cache", path)
      assert.strictEqual(r.headers.get("expires"), "0", path)
      assert.strictEqual(r.headers.get("x-frame-options"), "DENY", path)
      assert.strictEqual(r.headers.get("x-xss-protection"), "1; mode=block", path)
    }
  })

  it("a list within Jetty's 32 KiB output buffer carries its length; a larger one is chunked", async () => {
    const framing = async (path: string) => {
      const r = await api.get(path)
      assert.strictEqual(r.status, 200, path)
      const length = r.headers.get("content-length")
      if (length !== null) assert.strictEqual(Number(length), Buffer.byteLength(r.text), path)
      return [length === null ? "unknown" : "known", r.headers.get("transfer-encoding")]
    }
    const padding = "x".repeat(4_000)
    for (let k = 0; k < 10; k++) {
      assert.strictEqual((await api.post("/v2/apps", { ...web, id: `/big/app${k}`, labels: { padding } })).status, 201)
    }
    assert.deepStrictEqual(await framing("/v2/apps?id=/big/app3"), ["known", null])
    assert.deepStrictEqual(await framing("/v2/apps"), ["unknown", "chunked"])
  })

  it("/ping answers by Accept header", async () => {
    const ping = async (accept?: string) => {
      const r = await api.get("/ping", accept === undefined ? {} : { Accept: accept })
      return [r.status, r.headers.get("content-type"), r.text]
    }
    assert.deepStrictEqual(await ping("*/*"), [200, "text/plain", "pong"])
    assert.deepStrictEqual(await ping("text/plain"), [200, "text/plain", "pong"])
    assert.deepStrictEqual(await ping("application/json"), [200, "application/json", "\"pong\""])
    assert.deepStrictEqual(await ping("text/html"), [200, "text/html", "pong"])
    assert.deepStrictEqual(await ping("image/png"), [204, null, ""])
  })

  it("unknown routes are Marathon's 500 URI not found; wrong methods are 405", async () => {
    assert.deepStrictEqual((await api.get("/v2/nonsense")).json, { message: "URI not found" })
    assert.strictEqual((await api.get("/v2/nonsense")).status, 500)
    const r = await api.request("PATCH", "/v2/deployments")
    assert.strictEqual(r.status, 405)
    assert.deepStrictEqual(r.json, { message: "Method Not Allowed" })
  })

  it("DELETE /v2/leader abdicates: no leader for a while, then elected again", async () => {
    const sse = await SseReader.open(`${h.sim.url}/v2/events`)
    assert.deepStrictEqual((await api.delete("/v2/leader")).json, { message: "Leadership abdicated" })
    await api.advance(0.6)
    await sse.waitFor("the stream is closed", (r) => r.ended)
    assert.deepStrictEqual((await api.get("/v2/leader")).json, { message: "There is no leader" })
    assert.strictEqual((await api.get("/v2/apps")).status, 502)
    assert.isFalse((await api.get("/v2/info")).status === 200)
    await api.advance(3)
    assert.strictEqual((await api.get("/v2/leader")).status, 200)
    sse.close()
  })
})

describe("basic auth", () => {
  let h: Harness
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  beforeEach(async () => {
    h = await startSim({ auth: { user: "ops", password: "s3cret" } })
  })
  afterEach(() => h.sim.close())

  it("65: without credentials 401 with WWW-Authenticate, with them 200, for /v2, /ping and /v2/events", async () => {
    for (const path of ["/v2/apps", "/ping"]) {
      const denied = await h.api.get(path)
      assert.strictEqual(denied.status, 401, path)
      assert.strictEqual(denied.headers.get("www-authenticate"), "basic realm=\"Mesosphere\"")
      assert.strictEqual((await h.api.get(path, { Authorization: basic("ops", "wrong") })).status, 401)
      assert.strictEqual((await h.api.get(path, { Authorization: basic("ops", "s3cret") })).status, 200, path)
    }
    const denied = await SseReader.open(`${h.sim.url}/v2/events`)
    assert.strictEqual(denied.status, 401)
    const allowed = await SseReader.open(`${h.sim.url}/v2/events`, { Accept: "text/event-stream", Authorization: basic("ops", "s3cret") })
    assert.strictEqual(allowed.status, 200)
    allowed.close()
    const write = await h.api.post("/v2/apps", web, { Authorization: basic("ops", "s3cret") })
    assert.strictEqual(write.status, 201)
  })

  it("quirk: a password containing ':' can never authenticate (Marathon splits at the last colon)", async () => {
    const colon = await startSim({ auth: { user: "ops", password: "pa:ss" } })
    assert.strictEqual((await colon.api.get("/ping", { Authorization: basic("ops", "pa:ss") })).status, 401)
    await colon.sim.close()
  })

  it("the admin API is not behind basic auth", async () => {
    assert.strictEqual((await h.api.get("/__sim/state")).status, 200)
  })
})
