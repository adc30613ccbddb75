// Fault injection (spec §7): F1 latency and hangs, F2 error answers, F3 commit-then-fail,
// F4 leader changes, doctored answers (an empty list, apps without tasks), F9 frozen and slow deployments, F10 a concurrent actor, F11 stream faults.
// (F5 and F7 — unhealthy and crashing tasks — are behaviours, tested in Admin.test.ts.)
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { advanceUntil, Api, deployApp, noDeployments, startSim, web, type Harness } from "./SimHarness.ts"
import { SseReader } from "./SseReader.ts"

describe("fault injection", () => {
  let h: Harness
  let api: Api
  const readers: Array<SseReader> = []
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close()
    await h.sim.close()
  })
  const fault = async (body: Record<string, unknown>) => {
    const r = await api.post("/__sim/faults", body)
    assert.strictEqual(r.status, 200, r.text)
    return r.json
  }
  const sse = async (query = "") => {
    const r = await SseReader.open(`${h.sim.url}/v2/events${query}`)
    readers.push(r)
    await r.waitFor("attached", (x) => x.frames.length > 0 || query !== "")
    return r
  }

  it("F1: fixed latency on one route, others unaffected", async () => {
    await fault({ route: "/v2/apps", method: "GET", latencyMs: 150 })
    const t0 = performance.now()
    assert.strictEqual((await api.get("/v2/apps")).status, 200)
    assert.isAtLeast(performance.now() - t0, 145)
    assert.strictEqual((await api.get("/v2/info")).status, 200)
  })

  it("F1: a hang never answers (the client gives up); times bounds it", async () => {
    await fault({ route: "/v2/deployments", hang: true, times: 1 })
    let error: unknown
    await fetch(`${h.sim.url}/v2/deployments`, { signal: AbortSignal.timeout(200) }).catch((e) => (error = e))
    assert.strictEqual((error as Error).name, "TimeoutError")
    assert.strictEqual((await api.get("/v2/deployments")).status, 200)
  })

  it("F2: error answers in Marathon's formats, limited by times and filtered by app", async () => {
    api.checks = false
    await fault({ route: "/v2/apps/c/web", error: "internal", times: 1 })
    await fault({ route: "/v2/info", error: "leaderRefused", times: 1 })
    await fault({ route: "/v2/queue", error: "unavailable", times: 1 })
    await fault({ route: "/v2/tasks", error: "tooManyRequests", message: "Too many concurrent requests! Allowed: 8.", times: 1 })
    await fault({ route: "/v2/apps", method: "POST", appId: "/c/web", error: "maxDeployments", times: 2 })
    const internal = await api.get("/v2/apps/c/web")
    assert.deepStrictEqual([internal.status, internal.json], [500, { message: "An unexpected server error occurred." }])
    const proxy = await api.get("/v2/info")
    assert.strictEqual(proxy.status, 502)
    assert.include(proxy.text, "Connection to leader refused.")
    const empty = await api.get("/v2/queue")
    assert.deepStrictEqual([empty.status, empty.text], [503, ""])
    const busy = await api.get("/v2/tasks")
    assert.strictEqual(busy.status, 503)
    assert.include(busy.text, "Too many concurrent requests! Allowed: 8.")
    assert.strictEqual((await api.post("/v2/apps", { ...web, id: "/c/other" })).status, 201)
    for (let i = 0; i < 2; i++) {
      const r = await api.post("/v2/apps", web)
      assert.strictEqual(r.status, 403)
      assert.match(r.json.message, /^Max number \(100\) of running deployments is achieved/)
    }
    assert.strictEqual((await api.post("/v2/apps", web)).status, 201)
    assert.strictEqual((await api.get("/v2/info")).status, 200)
  })

  it("F2: probability 0 never fires; DELETE /__sim/faults clears everything", async () => {
    await fault({ route: "/v2/info", status: 500, probability: 0 })
    assert.strictEqual((await api.get("/v2/info")).status, 200)
    await fault({ route: "/v2/info", status: 502, message: "boom" })
    assert.strictEqual((await api.get("/v2/info")).status, 502)
    assert.lengthOf((await api.get("/__sim/faults")).json.faults, 2)
    assert.strictEqual((await api.delete("/__sim/faults")).status, 204)
    assert.strictEqual((await api.get("/v2/info")).status, 200)
  })

  it("F3: commit-then-fail drops the connection after the app was created; a retry gets 409", async () => {
    await fault({ route: "/v2/apps", method: "POST", commitThenFail: "drop", times: 1 })
    let error: unknown
    await fetch(`${h.sim.url}/v2/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(web) })
      .catch((e) => (error = e))
    assert.instanceOf(error, Error)
    assert.strictEqual((await api.get("/v2/apps/c/web")).status, 200)
    const retry = await api.post("/v2/apps", web)
    assert.deepStrictEqual([retry.status, retry.json], [409, { message: "An app with id [/c/web] already exists." }])
  })

  it("F3: commit-then-fail with an error answer; the change is stored and locks the app", async () => {
    await deployApp(api)
    await fault({ route: "/v2/apps/c/web", method: "PUT", commitThenFail: "error", status: 503, times: 1 })
    api.checks = false
    assert.strictEqual((await api.put("/v2/apps/c/web", { cmd: "sleep 7" })).status, 503)
    api.checks = true
    assert.strictEqual((await api.get("/v2/apps/c/web")).json.app.cmd, "sleep 7")
    assert.strictEqual((await api.put("/v2/apps/c/web", { cmd: "sleep 7", mem: 64 })).status, 409)
  })

  it("F4: a leader change moves X-Marathon-Leader and /v2/leader and drops every stream", async () => {
    const stream = await sse()
    await api.post("/__sim/leader", { host: "127.0.0.1:18080" })
    await stream.waitFor("the stream dropped", (r) => r.ended)
    const r = await api.get("/v2/apps")
    assert.strictEqual(r.headers.get("x-marathon-leader"), "http://127.0.0.1:18080")
    assert.strictEqual(r.headers.get("x-marathon-via"), `1.1 127.0.0.1:${h.sim.port}`)
    assert.deepStrictEqual((await api.get("/v2/leader")).json, { leader: "127.0.0.1:18080" })
  })

  it("F4: a window without a leader: 404 There is no leader, 502 elsewhere, streams refused, then back", async () => {
    const stream = await sse()
    await fault({ leader: "none", durationSeconds: 5 })
    await stream.waitFor("the stream dropped", (r) => r.ended)
    assert.deepStrictEqual((await api.get("/v2/leader")).json, { message: "There is no leader" })
    const write = await api.post("/v2/apps", web)
    assert.strictEqual(write.status, 502)
    assert.include(write.text, "Could not determine the current leader")
    const refused = await sse("?x")
    await refused.waitFor("closed at once", (r) => r.ended)
    assert.isFalse((await api.get("/__sim/state")).json.leader.elected)
    await api.advance(5)
    assert.strictEqual((await api.get("/v2/leader")).status, 200)
    assert.strictEqual((await api.post("/v2/apps", web)).status, 201)
  })

  it("F9: a deployment frozen at a step holds there until the fault is cleared", async () => {
    await fault({ deployment: "freeze", atStep: 2 })
    await api.post("/v2/apps", web)
    await api.advance(60)
    const [d] = (await api.get("/v2/deployments")).json
    assert.strictEqual(d.currentStep, 2)
    assert.strictEqual((await api.get("/v2/apps/c/web")).json.app.tasksRunning, 2)
    await api.delete("/__sim/faults")
    await advanceUntil(api, "deployed", noDeployments(api))
  })

  it("F9: slowFactor stretches every task transition", async () => {
    await fault({ slowFactor: 10 })
    await api.post("/v2/apps", web)
    await api.advance(1.5)
    assert.strictEqual((await api.get("/v2/apps/c/web")).json.app.tasksRunning, 0)
    await api.advance(1)
    assert.strictEqual((await api.get("/v2/apps/c/web")).json.app.tasksRunning, 2)
  })

  it("F10: a concurrent actor deletes the app mid-deployment; the deployment id disappears", async () => {
    const events: Array<SimEvent> = []
    h.sim.onEvent((e) => events.push(e), ["deployment_failed"])
    const mine = await api.post("/v2/apps", web)
    const other = new Api(h.sim.url)
    await other.delete("/v2/apps/c/web")
    const ids = (await api.get("/v2/deployments")).json.map((d: { id: string }) => d.id)
    assert.notInclude(ids, mine.headers.get("marathon-deployment-id"))
    assert.strictEqual(events[0]?.payload["id"], mine.headers.get("marathon-deployment-id"))
    assert.strictEqual((await api.get("/v2/apps/c/web")).status, 404)
  })

  it("F11: drop one event type from streams (in-process listeners still see it)", async () => {
    const seen: Array<string> = []
    h.sim.onEvent((e) => seen.push(e.eventType), ["deployment_success"])
    const stream = await sse()
    await fault({ sse: "drop", eventType: "deployment_success" })
    await deployApp(api)
    await stream.waitFor("the step events", (r) => r.of("deployment_step_success").length === 2)
    assert.lengthOf(stream.of("deployment_success"), 0)
    assert.deepStrictEqual(seen, ["deployment_success"])
  })

  it("F11: duplicate and reorder", async () => {
    const stream = await sse("?event_type=deployment_info&event_type=deployment_step_success&event_type=deployment_success")
    await fault({ sse: "duplicate", eventType: "deployment_success", times: 1 })
    await fault({ sse: "reorder", eventType: "deployment_info", times: 1 })
    await deployApp(api)
    await stream.waitFor("two successes", (r) => r.of("deployment_success").length === 2)
    const order = stream.frames.map((f) => f.event)
    assert.deepStrictEqual(order.slice(0, 2), ["deployment_step_success", "deployment_info"])
  })

  it("F11: silence leaves only heartbeats; disconnect ends every stream", async () => {
    const stream = await sse()
    await fault({ sse: "silence" })
    await deployApp(api)
    await api.advance(10)
    await stream.waitFor("a heartbeat", (r) => r.heartbeats > 0)
    assert.deepStrictEqual(stream.frames.map((f) => f.event), ["event_stream_attached"])
    await fault({ sse: "disconnect" })
    await stream.waitFor("the stream ended", (r) => r.ended)
    assert.strictEqual((await api.get("/__sim/state")).json.eventStreams, 0)
  })

  it("doctored answers: an empty app list, then apps and task lists without tasks, limited by times", async () => {
    await deployApp(api)
    await fault({ route: "/v2/apps", method: "GET", answer: "empty", times: 1 })
    assert.deepStrictEqual((await api.get("/v2/apps?embed=apps.tasks")).json.apps, [])
    await fault({ route: "/v2/apps", method: "GET", answer: "noTasks", times: 3 })
    const listed = (await api.get("/v2/apps?embed=apps.tasks")).json.apps
    assert.deepStrictEqual(listed.map((a: any) => [a.id, a.tasksRunning, a.tasks]), [["/c/web", 2, []]])
    assert.deepStrictEqual((await api.get("/v2/apps/c/web")).json.app.tasks, [])
    assert.deepStrictEqual((await api.get("/v2/apps/c/web/tasks")).json.tasks, [])
    assert.lengthOf((await api.get("/v2/apps?embed=apps.tasks")).json.apps[0].tasks, 2)
    api.checks = false
    assert.strictEqual((await api.post("/__sim/faults", { route: "/v2/apps", answer: "half" })).status, 400)
  })

  it("F11: silent quiets the streams open now, heartbeats included, and leaves them open; later streams are fine", async () => {
    const dead = await sse()
    await fault({ sse: "silent" })
    const fresh = await sse()
    await deployApp(api)
    // Three heartbeat intervals, with a deployment's events in between.
    for (let i = 0; i < 3; i++) await api.advance(10)
    await fresh.waitFor(
      "heartbeats and the deployment on the new stream",
      (r) => r.heartbeats >= 3 && r.of("deployment_success").length > 0
    )
    assert.isFalse(dead.ended)
    assert.strictEqual((await api.get("/__sim/state")).json.eventStreams, 2)
    await api.delete("/__sim/faults")
    await api.advance(10)
    // Bytes on one connection arrive in order: by the first heartbeat after the fault, anything
    // written to the quiet stream during it has arrived too.
    await dead.waitFor("a heartbeat once cleared", (r) => r.heartbeats > 0)
    assert.strictEqual(dead.heartbeats, 1)
    assert.deepStrictEqual(dead.frames.map((f) => f.event), ["event_stream_attached"])
  })
})
