// Conformance statements 60–62 of spec §6 (the event stream), over a raw SSE connection.
import { connect } from "node:net"
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { advanceUntil, noDeployments, startSim, waitUntil, web, type Api, type Harness } from "./SimHarness.ts"
import { SseReader } from "./SseReader.ts"

describe("event stream", () => {
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
  const open = async (query = "", headers?: Record<string, string>) => {
    const r = await SseReader.open(`${h.sim.url}/v2/events${query}`, headers)
    readers.push(r)
    return r
  }

  it("60: text/event-stream, event_stream_attached first, \\r\\n framing and heartbeats", async () => {
    const sse = await open()
    assert.strictEqual(sse.status, 200)
    assert.strictEqual(sse.headers["content-type"], "text/event-stream;charset=UTF-8")
    assert.strictEqual(sse.headers["connection"], "close")
    assert.isUndefined(sse.headers["transfer-encoding"])
    await sse.waitFor("attached", (r) => r.frames.length > 0)
    assert.strictEqual(sse.frames[0]!.event, "event_stream_attached")
    assert.isString(sse.frames[0]!.data.remoteAddress)
    assert.match(sse.raw, /^event: event_stream_attached\r\ndata: \{[^\r\n]*\}\r\n\r\n$/)
    await api.advance(10)
    await sse.waitFor("a heartbeat", (r) => r.heartbeats === 1)
    assert.isTrue(sse.raw.endsWith("}\r\n\r\n\r\n"))
    await api.advance(10)
    await sse.waitFor("a second heartbeat", (r) => r.heartbeats === 2)
  })

  it("60: any other Accept value gets Jetty's 405", async () => {
    const r = await api.get("/v2/events", { Accept: "application/json" })
    assert.strictEqual(r.status, 405)
    assert.include(r.text, "HTTP method GET is not supported by this URL")
  })

  it("61: ?event_type= filters; deployment_success carries the deployment id", async () => {
    const sse = await open("?event_type=deployment_success")
    const r = await api.post("/v2/apps", web)
    await advanceUntil(api, "deployed", noDeployments(api))
    await sse.waitFor("deployment_success", (s) => s.frames.length === 1)
    assert.deepStrictEqual(sse.frames.map((f) => f.event), ["deployment_success"])
    assert.strictEqual(sse.frames[0]!.data.id, r.headers.get("marathon-deployment-id"))
    assert.strictEqual(sse.frames[0]!.data.eventType, "deployment_success")
    assert.isString(sse.frames[0]!.data.timestamp)
  })

  it("62: a creation publishes api_post_event, group_change_success, deployment_info, status updates and deployment_success", async () => {
    const sse = await open()
    await sse.waitFor("attached", (r) => r.frames.length === 1)
    const r = await api.post("/v2/apps", web)
    await advanceUntil(api, "deployed", noDeployments(api))
    await sse.waitFor("deployment_success", (s) => s.of("deployment_success").length === 1)
    assert.strictEqual(sse.of("api_post_event")[0]!.data.appDefinition.id, "/c/web")
    assert.strictEqual(sse.of("group_change_success")[0]!.data.groupId, "/c")
    const info = sse.of("deployment_info")[0]!.data
    assert.strictEqual(info.plan.id, r.headers.get("marathon-deployment-id"))
    assert.deepStrictEqual(info.currentStep, { actions: [{ action: "StartApplication", app: "/c/web" }] })
    const running = sse.of("status_update_event").filter((f) => f.data.taskStatus === "TASK_RUNNING")
    assert.lengthOf(running, 2)
    for (const f of running) {
      assert.includeMembers(Object.keys(f.data), [
        "slaveId",
        "taskId",
        "taskStatus",
        "message",
        "appId",
        "host",
        "ipAddresses",
        "ports",
        "version"
      ])
    }
    assert.lengthOf(sse.of("instance_changed_event").filter((f) => f.data.condition === "Running"), 2)
  })

  it("a new subscriber's attach event reaches every matching stream", async () => {
    const first = await open()
    await first.waitFor("own attach", (r) => r.frames.length === 1)
    await open()
    await first.waitFor("the second attach", (r) => r.of("event_stream_attached").length === 2)
  })

  it("a consumer that falls behind by more than the outstanding limit is disconnected", async () => {
    const slow = await startSim({ eventStreamMaxOutstanding: 2 })
    const detached: Array<unknown> = []
    slow.sim.onEvent((e) => detached.push(e.payload), ["event_stream_detached"])
    // A client that sends the request and then never reads.
    const socket = connect(slow.sim.port, "127.0.0.1")
    socket.write(`GET /v2/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`)
    socket.pause()
    await waitUntil("the stream is attached", () => slow.sim.server.streams.count === 1)
    const big = "x".repeat(1 << 20)
    for (let i = 0; i < 24 && slow.sim.server.streams.count === 1; i++) {
      await slow.api.post("/v2/apps", { ...web, id: `/big/app-${i}`, labels: { filler: big } })
    }
    assert.strictEqual(slow.sim.server.streams.count, 0)
    assert.lengthOf(detached, 1)
    socket.destroy()
    await slow.sim.close()
  })
})
