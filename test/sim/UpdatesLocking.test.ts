// Conformance statements 30–40 of spec §6 (updates, versions, locking).
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { advanceUntil, deployApp, noDeployments, startSim, web, type Api, type Harness } from "./SimHarness.ts"

const lockedMessage =
  "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."

describe("updates, versions, locking", () => {
  let h: Harness
  let api: Api
  let events: Array<SimEvent>
  beforeEach(async () => {
    h = await startSim()
    api = h.api
    events = []
    h.sim.onEvent((e) => events.push(e))
  })
  afterEach(() => h.sim.close())

  const app = async () => (await api.get("/v2/apps/c/web")).json.app
  const steps = async () => (await api.get("/v2/deployments")).json.map((d: { steps: unknown }) => d.steps)
  const taskIds = async () => (await app()).tasks.map((t: { id: string }) => t.id).sort()

  it("30: a scale-only PUT is [[ScaleApplication]] and moves lastScalingAt only", async () => {
    await deployApp(api)
    const before = await app()
    const r = await api.put("/v2/apps/c/web", { instances: 3 })
    assert.strictEqual(r.status, 200)
    assert.deepStrictEqual(await steps(), [[{ actions: [{ action: "ScaleApplication", app: "/c/web" }] }]])
    await advanceUntil(api, "scaled", noDeployments(api))
    const after = await app()
    assert.strictEqual(after.version, r.json.version)
    assert.strictEqual(after.versionInfo.lastScalingAt, after.version)
    assert.strictEqual(after.versionInfo.lastConfigChangeAt, before.versionInfo.lastConfigChangeAt)
    assert.strictEqual(after.tasksRunning, 3)
  })

  it("31: a config change is [[RestartApplication]], moves all three versions and replaces the tasks", async () => {
    await deployApp(api)
    const oldIds = await taskIds()
    const r = await api.put("/v2/apps/c/web", { cmd: "sleep 2000" })
    assert.deepStrictEqual(await steps(), [[{ actions: [{ action: "RestartApplication", app: "/c/web" }] }]])
    await advanceUntil(api, "restarted", noDeployments(api))
    const after = await app()
    assert.strictEqual(after.version, r.json.version)
    assert.strictEqual(after.versionInfo.lastConfigChangeAt, r.json.version)
    assert.strictEqual(after.versionInfo.lastScalingAt, r.json.version)
    assert.lengthOf(after.tasks, 2)
    for (const t of after.tasks) {
      assert.strictEqual(t.version, r.json.version)
      assert.notInclude(oldIds, t.id)
    }
  })

  it("32: PUT of an unknown id creates it: 201, DeploymentResult and Location", async () => {
    const r = await api.put("/v2/apps/c/new", { cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 1 })
    assert.strictEqual(r.status, 201)
    assert.hasAllKeys(r.json, ["deploymentId", "version"])
    assert.strictEqual(r.headers.get("location"), `${h.sim.url}/c/new`)
    assert.strictEqual(r.headers.get("marathon-deployment-id"), r.json.deploymentId)
  })

  it("34: an identical PUT answers 200 with a step-less deployment that finishes at once", async () => {
    await deployApp(api)
    const before = await app()
    const ids = await taskIds()
    const r = await api.put("/v2/apps/c/web", web)
    assert.strictEqual(r.status, 200)
    assert.deepStrictEqual(await steps(), [])
    assert.isTrue(events.some((e) => e.eventType === "deployment_success" && e.payload["id"] === r.json.deploymentId))
    await api.advance(5)
    assert.deepStrictEqual(await taskIds(), ids)
    assert.strictEqual((await app()).version, before.version)
  })

  it("35: a change to an app with a running deployment is 409 App locked", async () => {
    await api.post("/v2/apps", web)
    const running = (await api.get("/v2/deployments")).json[0].id
    const r = await api.put("/v2/apps/c/web", { instances: 5 })
    assert.strictEqual(r.status, 409)
    assert.deepStrictEqual(r.json, { message: lockedMessage, deployments: [{ id: running }] })
    assert.isTrue(events.some((e) => e.eventType === "deployment_failed"))
    assert.isTrue(events.some((e) => e.eventType === "group_change_failed"))
    assert.strictEqual((await app()).instances, 2)
  })

  it("36: with ?force=true the running deployment is cancelled and the new one listed", async () => {
    await api.post("/v2/apps", web)
    const old = (await api.get("/v2/deployments")).json[0].id
    const r = await api.put("/v2/apps/c/web?force=true", { instances: 5 })
    assert.strictEqual(r.status, 200)
    const failed = events.find((e) => e.eventType === "deployment_failed")
    assert.strictEqual(failed?.payload["id"], old)
    assert.strictEqual(failed?.payload["reason"], "The upgrade has been cancelled")
    assert.deepStrictEqual((await api.get("/v2/deployments")).json.map((d: { id: string }) => d.id), [r.json.deploymentId])
  })

  it("37: a running deployment of one app does not lock another", async () => {
    await api.post("/v2/apps", web)
    const r = await api.put("/v2/apps/c/other", { cmd: "sleep 1000", instances: 1 })
    assert.strictEqual(r.status, 201)
  })

  it("38: PUT {version} rolls back to that definition", async () => {
    await deployApp(api)
    const first = await app()
    await api.put("/v2/apps/c/web", { cmd: "sleep 2000", mem: 64 })
    await advanceUntil(api, "updated", noDeployments(api))
    const r = await api.put("/v2/apps/c/web", { version: first.version })
    assert.strictEqual(r.status, 200)
    const back = await app()
    assert.strictEqual(back.cmd, "sleep 1000")
    assert.strictEqual(back.mem, 32)
    const strip = (a: Record<string, unknown>) => {
      const { version, versionInfo, tasks, deployments, tasksRunning, tasksStaged, tasksHealthy, tasksUnhealthy, ...rest } = a
      return rest
    }
    assert.deepStrictEqual(strip(back), strip(first))
    assert.strictEqual((await api.put("/v2/apps/c/web", { version: "2001-01-01T00:00:00.000Z" })).status, 404)
  })

  it("39: restart is [[RestartApplication]], moves lastConfigChangeAt but not lastScalingAt", async () => {
    await deployApp(api)
    const before = await app()
    const r = await api.post("/v2/apps/c/web/restart")
    assert.strictEqual(r.status, 200)
    assert.hasAllKeys(r.json, ["deploymentId", "version"])
    assert.deepStrictEqual(await steps(), [[{ actions: [{ action: "RestartApplication", app: "/c/web" }] }]])
    const after = await app()
    assert.strictEqual(after.versionInfo.lastConfigChangeAt, r.json.version)
    assert.strictEqual(after.version, r.json.version)
    assert.strictEqual(after.versionInfo.lastScalingAt, before.versionInfo.lastScalingAt)
    await advanceUntil(api, "restarted", noDeployments(api))
  })

  it("40: restarting an unknown app is 404", async () => {
    const r = await api.post("/v2/apps/c/nope/restart")
    assert.strictEqual(r.status, 404)
    assert.deepStrictEqual(r.json, { message: "App '/c/nope' does not exist" })
  })

  it("an app with 0 instances finishes a restart at once", async () => {
    await deployApp(api, { ...web, instances: 0 })
    await api.post("/v2/apps/c/web/restart")
    await api.advance(0)
    assert.deepStrictEqual((await api.get("/v2/deployments")).json, [])
  })

  it("PATCH is a partial update of an existing app; PUT partialUpdate=false resets omitted fields", async () => {
    await deployApp(api, { ...web, labels: { team: "a" } })
    assert.strictEqual((await api.patch("/v2/apps/c/web", { mem: 64 })).status, 200)
    assert.deepStrictEqual((await app()).labels, { team: "a" })
    await advanceUntil(api, "patched", noDeployments(api))
    await api.put("/v2/apps/c/web?partialUpdate=false", { cmd: "sleep 1000", instances: 2 })
    const a = await app()
    assert.deepStrictEqual(a.labels, {})
    assert.strictEqual(a.mem, 128)
    assert.deepStrictEqual(a.portDefinitions, [{ port: 10000, protocol: "tcp", name: "default" }])
  })

  it("bulk PUT and PATCH on /v2/apps make one deployment", async () => {
    const r = await api.put("/v2/apps", [
      { id: "/test/sleep60", cmd: "sleep 60", instances: 1, dependencies: ["/test/sleep120"] },
      { id: "/test/sleep120", cmd: "sleep 120", instances: 1 }
    ])
    assert.strictEqual(r.status, 200)
    const [d] = (await api.get("/v2/deployments")).json
    assert.deepStrictEqual(d.steps, [
      { actions: [{ action: "StartApplication", app: "/test/sleep60" }, { action: "StartApplication", app: "/test/sleep120" }] },
      { actions: [{ action: "ScaleApplication", app: "/test/sleep120" }] },
      { actions: [{ action: "ScaleApplication", app: "/test/sleep60" }] }
    ])
    await advanceUntil(api, "deployed", noDeployments(api))
    assert.strictEqual((await api.patch("/v2/apps", [{ id: "/test/sleep60", instances: 2 }, { id: "/nope", instances: 1 }])).status, 404)
    assert.strictEqual((await api.patch("/v2/apps", [{ id: "/test/sleep60", instances: 2 }])).status, 200)
  })
})
