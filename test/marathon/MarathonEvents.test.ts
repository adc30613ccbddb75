import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { MarathonEvent } from "../../src/marathon/MarathonEvents.ts"
import { idsOf, marathonEvents, toMarathonEvents } from "../../src/marathon/MarathonEvents.ts"
import type { RunningSim } from "../../src/sim/MarathonSim.ts"
import { start } from "../../src/sim/MarathonSim.ts"
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
    assert.deepStrictEqual(idsOf("status_update_event", { appId: "/web.main.gita.configb", taskId: "t" }).appIds, ["/web.main.gita.configb"])
    assert.deepStrictEqual(idsOf("instance_health_changed_event", { runSpecId: "/a" }).appIds, ["/a"])
    const info = idsOf("deployment_info", { plan: { id: "d1", steps: [{ actions: [{ app: "/x" }, { app: "/y" }] }] }, currentStep: { actions: [{ app: "/x" }] } })
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
    await waitUntil("reconnected after the drop", () => seen.filter((event) => event._tag === "Reconnected").length > before, { timeoutMs: 10_000 })
    await Effect.runPromise(Fiber.interrupt(fiber))
  })
})
