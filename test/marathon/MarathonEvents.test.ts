import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Metric, Stream } from "effect"
import type { ServerResponse } from "node:http"
import { createServer } from "node:http"
import { afterAll, beforeAll } from "vitest"
import type { MarathonEvent, MarathonEventsConfig } from "../../src/marathon/MarathonEvents.ts"
import { idsOf, marathonEvents, toMarathonEvents } from "../../src/marathon/MarathonEvents.ts"
import type { RunningSim } from "../../src/sim/MarathonSim.ts"
import { start } from "../../src/sim/MarathonSim.ts"
import { marathonEventStreamReconnects } from "../../src/telemetry/ControllerMetrics.ts"
import { waitUntil } from "../harness/wait.ts"

let sim: RunningSim
beforeAll(async () => {
  sim = await start({ clock: "real", taskStartDelayMs: 20, healthyAfterMs: 40 })
})
afterAll(async () => {
  await sim?.close()
})

describe("Marathon event bus", () => {
  it("finds app and deployment ids wherever an event names them", () => {
    assert.deepStrictEqual(idsOf("status_update_event", { appId: "/web.main.gita.configb", taskId: "t" }).appIds, [
      "/web.main.gita.configb"
    ])
    assert.deepStrictEqual(idsOf("instance_health_changed_event", { runSpecId: "/a" }).appIds, ["/a"])
    const info = idsOf("deployment_info", {
      plan: { id: "d1", steps: [{ actions: [{ app: "/x" }, { app: "/y" }] }] },
      currentStep: { actions: [{ app: "/x" }] }
    })
    assert.deepStrictEqual(info, { appIds: ["/x", "/y"], deploymentIds: ["d1"] })
    assert.deepStrictEqual(idsOf("deployment_success", { id: "d2" }).deploymentIds, ["d2"])
    assert.deepStrictEqual(idsOf("api_post_event", { appDefinition: { id: "/z" } }).appIds, ["/z"])
    assert.deepStrictEqual(toMarathonEvents({ event: "x", data: "not json" }), [])
  })

  it("streams the events of a deployment over HTTP and reconnects after the stream drops", async () => {
    const seen: Array<MarathonEvent> = []
    const fiber = Effect.runFork(
      marathonEvents({ urls: [sim.url] }).pipe(
        Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
        Effect.provide(NodeHttpClient.layerUndici)
      )
    )
    await waitUntil("connected", () => seen.some((event) => event._tag === "Reconnected"))
    const response = await fetch(`${sim.url}/v2/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "/web.main.gitabc.config1", cmd: "sleep 1000", instances: 2 })
    })
    assert.strictEqual(response.status, 201)
    await waitUntil("task and deployment events for the app", () => {
      const changed = seen.filter((event) => event._tag === "Changed")
      return changed.some((event) => event.eventType === "status_update_event" && event.appIds.includes("/web.main.gitabc.config1")) &&
        changed.some((event) => event.eventType.startsWith("deployment"))
    })
    // The emulator drops every event stream on a leader change (fault F-leader); the client must come back.
    const before = seen.filter((event) => event._tag === "Reconnected").length
    await fetch(`${sim.url}/v2/leader`, { method: "DELETE" })
    await waitUntil("reconnected after the drop", () => seen.filter((event) => event._tag === "Reconnected").length > before, {
      timeoutMs: 10_000
    })
    await Effect.runPromise(Fiber.interrupt(fiber))
  })

  describe("silence", () => {
    /** Follows the event bus with its own metric registry; `seen` fills as events arrive. */
    const follow = (config: MarathonEventsConfig) => {
      const seen: Array<MarathonEvent> = []
      const registry = new Map()
      const fiber = Effect.runFork(
        marathonEvents(config).pipe(
          Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
          Effect.provide(NodeHttpClient.layerUndici),
          Effect.provideService(Metric.MetricRegistry, registry)
        )
      )
      const reconnects = (reason: string) =>
        Effect.runSync(
          Metric.value(Metric.withAttributes(marathonEventStreamReconnects, { reason })).pipe(
            Effect.provideService(Metric.MetricRegistry, registry)
          )
        ).count
      const connections = () => seen.filter((event) => event._tag === "Reconnected").length
      return { seen, connections, reconnects, stop: () => Effect.runPromise(Fiber.interrupt(fiber)) }
    }

    /** A loopback "Marathon" whose event stream answers 200 and then sends only what `beat` says. */
    const silentServer = async (beatEveryMs: number | undefined) => {
      const open = new Set<ServerResponse>()
      let accepted = 0
      let beats = 0
      const server = createServer((req, res) => {
        if (!req.url?.startsWith("/v2/events")) return res.writeHead(404).end()
        accepted++
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.flushHeaders()
        open.add(res)
        const timer = beatEveryMs === undefined ? undefined : setInterval(() => {
          res.write("\r\n")
          beats++
        }, beatEveryMs)
        res.on("close", () => {
          clearInterval(timer)
          open.delete(res)
        })
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const address = server.address()
      const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
      return {
        url,
        accepted: () => accepted,
        beats: () => beats,
        open: () => open.size,
        close: () => {
          for (const res of open) res.destroy()
          return new Promise<void>((resolve) => server.close(() => resolve()))
        }
      }
    }

    it("drops a connection that sends no byte for the silence timeout and reconnects with Reconnected", async () => {
      const server = await silentServer(undefined)
      const events = follow({ urls: [server.url], silenceTimeout: Duration.millis(300) })
      try {
        await waitUntil("the first connection", () => events.connections() === 1)
        // The stream stays open on the server side and never sends a byte: only silence detection ends it.
        let mostOpen = 0
        await waitUntil("two reconnects after silence", () => {
          // Invariant on every poll: a silent connection is closed before its successor is opened.
          mostOpen = Math.max(mostOpen, server.open())
          return events.connections() >= 3
        }, { timeoutMs: 10_000, intervalMs: 10 })
        assert.isAtMost(mostOpen, 1, "a silent connection was left open beside its successor")
        assert.isAtLeast(events.reconnects("silence"), 2)
        assert.strictEqual(events.reconnects("error"), 0)
        assert.isAtLeast(server.accepted(), 3)
      } finally {
        await events.stop()
        await server.close()
      }
    })

    it("keeps a connection whose heartbeats come in time", async () => {
      const server = await silentServer(50)
      // A heartbeat every 50 ms against a 1 s timeout: twenty beats of margin, so a loaded machine
      // that delays a few cannot pass for silence.
      const events = follow({ urls: [server.url], silenceTimeout: Duration.millis(1_000) })
      try {
        await waitUntil("the first connection", () => events.connections() === 1)
        // Eighty heartbeats are 4 s, four silence timeouts: any reset of the timer that failed would show.
        let mostConnections = 0
        await waitUntil("eighty heartbeats", () => {
          mostConnections = Math.max(mostConnections, events.connections())
          return mostConnections > 1 || server.beats() >= 80
        }, { timeoutMs: 20_000 })
        assert.strictEqual(mostConnections, 1, "a connection with heartbeats was dropped")
        assert.strictEqual(server.accepted(), 1)
        assert.strictEqual(events.reconnects("silence"), 0)
      } finally {
        await events.stop()
        await server.close()
      }
    })

    it("the emulator's silent fault (an open connection gone quiet) ends in a reconnect the caller can resync on", async () => {
      const quiet = await start({ clock: "real", taskStartDelayMs: 20, healthyAfterMs: 40, heartbeatMs: 100 })
      const events = follow({ urls: [quiet.url], silenceTimeout: Duration.millis(800) })
      const post = (path: string, body: unknown, method = "POST") =>
        fetch(`${quiet.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      try {
        await waitUntil("connected", () => events.connections() === 1)
        assert.strictEqual((await post("/__sim/faults", { sse: "silent" })).status, 200)
        const before = events.seen.length
        // A bounce step happens while the stream is silent: its events are lost to this connection.
        assert.strictEqual((await post("/v2/apps", { id: "/web.main.gitabc.config1", cmd: "sleep 1000", instances: 1 })).status, 201)
        await waitUntil("a reconnect after the silence", () => events.connections() >= 2, { timeoutMs: 10_000, intervalMs: 10 })
        // Nothing reached the client on the quiet connection: everything after the fault was set
        // and before the reconnect.
        const reopened = events.seen.findIndex((event, index) => index >= before && event._tag === "Reconnected")
        assert.deepStrictEqual(events.seen.slice(before, reopened), [], "an event got through the silent fault")
        assert.isAtLeast(events.reconnects("silence"), 1)
        // The reopened connection is a live one: events flow again.
        assert.strictEqual((await post("/v2/apps/web.main.gitabc.config1", { instances: 2 }, "PUT")).status, 200)
        await waitUntil(
          "events again",
          () => events.seen.some((event) => event._tag === "Changed" && event.appIds.includes("/web.main.gitabc.config1")),
          {
            timeoutMs: 10_000
          }
        )
      } finally {
        await events.stop()
        await quiet.close()
      }
    })
  })
})
