// A third-party witness: the npm package marathon-event-bus-client (written against real
// Marathon) subscribes to the emulator's /v2/events and sees a deployment's events.
import { createRequire } from "node:module"
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { advanceUntil, noDeployments, startSim, waitUntil, web, type Harness } from "./SimHarness.ts"

interface BusClient {
  subscribe(): void
  unsubscribe(): void
  on(event: string, listener: (data: unknown) => void): void
}

type BusClientConstructor = new(options: {
  marathonHost: string
  marathonPort: number
  eventTypes: ReadonlyArray<string>
  marathonHeaders?: Record<string, string>
  handlers: Record<string, (name: string, data: unknown) => void>
}) => BusClient

const MarathonEventBusClient = createRequire(import.meta.url)("marathon-event-bus-client") as BusClientConstructor

const eventTypes = ["deployment_info", "deployment_step_success", "deployment_success", "status_update_event", "group_change_success"]

describe("marathon-event-bus-client against the emulator", () => {
  let h: Harness
  let client: BusClient | undefined
  beforeEach(async () => {
    h = await startSim({ auth: { user: "ops", password: "s3cret" } })
    h.api.headers["authorization"] = `Basic ${Buffer.from("ops:s3cret").toString("base64")}`
  })
  afterEach(async () => {
    client?.unsubscribe()
    await h.sim.close()
  })

  it("receives the events of a deployment, authenticated with basic auth", async () => {
    const seen: Array<{ name: string; data: Record<string, unknown> }> = []
    const handlers = Object.fromEntries(
      eventTypes.map((t) => [t, (name: string, data: unknown) => void seen.push({ name, data: data as Record<string, unknown> })])
    )
    let subscribed = false
    client = new MarathonEventBusClient({
      marathonHost: "127.0.0.1",
      marathonPort: h.sim.port,
      eventTypes,
      marathonHeaders: { Authorization: h.api.headers["authorization"]! },
      handlers
    })
    const errors: Array<unknown> = []
    client.on("subscribed", () => (subscribed = true))
    client.on("error", (e) => errors.push(e))
    client.subscribe()
    await waitUntil("the client subscribed", () => subscribed)
    await waitUntil("the stream is attached", () => h.sim.server.streams.count === 1)
    const r = await h.api.post("/v2/apps", web)
    const deploymentId = r.headers.get("marathon-deployment-id")
    await advanceUntil(h.api, "deployed", noDeployments(h.api))
    await waitUntil("deployment_success reached the client", () => seen.some((e) => e.name === "deployment_success"))
    const names = seen.map((e) => e.name)
    assert.includeMembers(names, [
      "group_change_success",
      "deployment_info",
      "deployment_step_success",
      "status_update_event",
      "deployment_success"
    ])
    assert.strictEqual(seen.find((e) => e.name === "deployment_success")!.data["id"], deploymentId)
    assert.lengthOf(seen.filter((e) => e.name === "status_update_event" && e.data["taskStatus"] === "TASK_RUNNING"), 2)
    assert.deepStrictEqual(errors, [])
  })
})
