// Conformance statements 41–48 of spec §6 (delete and deployments), and the revert of §1.14.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { advanceUntil, deployApp, noDeployments, startSim, web, type Api, type Harness } from "./SimHarness.ts"

describe("delete and deployments", () => {
  let h: Harness
  let api: Api
  let events: Array<SimEvent>
  beforeEach(async () => {
    h = await startSim({ taskKillDelayMs: 2000 })
    api = h.api
    events = []
    h.sim.onEvent((e) => events.push(e))
  })
  afterEach(() => h.sim.close())

  const deployments = async () => (await api.get("/v2/deployments")).json

  it("41: a DELETE without force cancels the app's running deployment (force defaults to true)", async () => {
    await api.post("/v2/apps", web)
    const running = (await deployments())[0].id
    const r = await api.delete("/v2/apps/c/web")
    assert.strictEqual(r.status, 200)
    assert.strictEqual(r.headers.get("marathon-deployment-id"), r.json.deploymentId)
    assert.isTrue(events.some((e) => e.eventType === "deployment_failed" && e.payload["id"] === running))
    assert.deepStrictEqual((await deployments()).map((d: { id: string }) => d.id), [r.json.deploymentId])
  })

  it("DELETE with force=false while a deployment runs is 409", async () => {
    await api.post("/v2/apps", web)
    assert.strictEqual((await api.delete("/v2/apps/c/web?force=false")).status, 409)
    assert.strictEqual((await api.delete("/v2/apps/c/nope")).status, 404)
  })

  it("43: the app is gone at once; StopApplication stays listed until tasks are terminal; then app_terminated_event", async () => {
    await deployApp(api)
    const r = await api.delete("/v2/apps/c/web")
    assert.deepStrictEqual((await api.get("/v2/apps/c/web")).json, { message: "App '/c/web' does not exist" })
    assert.deepStrictEqual((await api.get("/v2/apps")).json.apps, [])
    const [d] = await deployments()
    assert.strictEqual(d.id, r.json.deploymentId)
    assert.deepStrictEqual(d.steps, [{ actions: [{ action: "StopApplication", app: "/c/web" }] }])
    await api.advance(1)
    assert.lengthOf(await deployments(), 1)
    assert.isFalse(events.some((e) => e.eventType === "app_terminated_event"))
    await advanceUntil(api, "the stop is done", noDeployments(api))
    assert.isTrue(events.some((e) => e.eventType === "app_terminated_event" && e.payload["appId"] === "/c/web"))
  })

  it("44: re-creating an app while its StopApplication runs is 409 locked", async () => {
    await deployApp(api)
    await api.delete("/v2/apps/c/web")
    const r = await api.post("/v2/apps", web)
    assert.strictEqual(r.status, 409)
    assert.match(r.json.message, /^App is locked by one or more deployments/)
  })

  it("46: DELETE /v2/deployments/D?force=true is 202 empty; the app keeps its new version", async () => {
    await deployApp(api)
    await api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    const update = await api.put("/v2/apps/c/web", { cmd: "sleep 2000" })
    await api.advance(1)
    const r = await api.delete(`/v2/deployments/${update.json.deploymentId}?force=true`)
    assert.strictEqual(r.status, 202)
    assert.strictEqual(r.text, "")
    assert.deepStrictEqual(await deployments(), [])
    const a = (await api.get("/v2/apps/c/web")).json.app
    assert.strictEqual(a.cmd, "sleep 2000")
    assert.strictEqual(a.version, update.json.version)
    assert.isTrue(events.some((e) => e.eventType === "deployment_failed" && e.payload["id"] === update.json.deploymentId))
  })

  it("DELETE /v2/deployments/D without force reverts: 200 with the revert's id; a reverted creation removes the app", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    const created = await api.post("/v2/apps", web)
    await api.advance(1)
    const r = await api.delete(`/v2/deployments/${created.headers.get("marathon-deployment-id")}`)
    assert.strictEqual(r.status, 200)
    assert.notStrictEqual(r.json.deploymentId, created.headers.get("marathon-deployment-id"))
    assert.strictEqual((await api.get("/v2/apps/c/web")).status, 404)
    await advanceUntil(api, "the revert is done", noDeployments(api))
    assert.isTrue(events.some((e) => e.eventType === "deployment_success" && e.payload["id"] === r.json.deploymentId))
    assert.deepStrictEqual((await api.get("/v2/tasks")).json.tasks, [])
  })

  it("a reverted update restores the previous definition", async () => {
    await deployApp(api)
    const first = (await api.get("/v2/apps/c/web")).json.app
    await api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    const update = await api.put("/v2/apps/c/web", { cmd: "sleep 3000" })
    await api.advance(1)
    await api.delete(`/v2/deployments/${update.json.deploymentId}`)
    const back = (await api.get("/v2/apps/c/web")).json.app
    assert.strictEqual(back.cmd, first.cmd)
    assert.strictEqual(back.versionInfo.lastConfigChangeAt, first.versionInfo.lastConfigChangeAt)
    assert.deepStrictEqual((await api.delete("/v2/deployments/nope")).json, { message: "DeploymentPlan nope does not exist" })
  })

  it("48: during a scale-up currentStep is within 1..totalSteps and readinessCheckResults is an array", async () => {
    await deployApp(api)
    await api.put("/v2/apps/c/web", { instances: 4 })
    await api.advance(0)
    const [d] = await deployments()
    assert.isAtLeast(d.currentStep, 1)
    assert.isAtMost(d.currentStep, d.totalSteps)
    assert.deepStrictEqual(d.currentActions, [{ action: "ScaleApplication", app: "/c/web", readinessCheckResults: [] }])
  })

  it("deployment events: info per step, step success, success", async () => {
    const r = await api.post("/v2/apps", web)
    await advanceUntil(api, "deployed", noDeployments(api))
    const id = r.headers.get("marathon-deployment-id")
    const mine = events.filter((e) => (e.payload["plan"] as { id?: string } | undefined)?.id === id || e.payload["id"] === id).map((e) =>
      e.eventType
    )
    assert.deepStrictEqual(mine, [
      "deployment_info",
      "deployment_step_success",
      "deployment_info",
      "deployment_step_success",
      "deployment_success"
    ])
  })
})
