// The admin API (design.md §7): clock, scripted behaviours, task health and state, agents and
// maintenance, the state dump — and the default behaviour with the real clock.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { advanceUntil, deployApp, noDeployments, startSim, waitUntil, web, type Api, type Harness } from "./SimHarness.ts"

const check = { protocol: "HTTP", path: "/h", portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 2, maxConsecutiveFailures: 3 }

describe("admin API", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(() => h.sim.close())

  const app = async () => (await api.get("/v2/apps/c/web")).json.app

  it("the virtual clock moves only when advanced", async () => {
    const before = (await api.get("/__sim/clock")).json
    assert.strictEqual(before.mode, "virtual")
    await api.advance(90)
    const after = (await api.get("/__sim/clock")).json
    assert.strictEqual(Date.parse(after.now) - Date.parse(before.now), 90_000)
    assert.strictEqual((await api.post("/__sim/clock/advance", { seconds: -1 })).status, 400)
  })

  it("healthyAfterSeconds: checks fail until then, and pass from then on", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { health: "healthy", healthyAfterSeconds: 8 })
    await api.post("/v2/apps", { ...web, healthChecks: [check] })
    await advanceUntil(api, "running", async () => (await app()).tasksRunning === 2)
    await api.advance(5)
    assert.strictEqual((await app()).tasksHealthy, 0)
    await advanceUntil(api, "healthy", async () => (await app()).tasksHealthy === 2, 0.5, 20)
    await advanceUntil(api, "deployed", noDeployments(api))
  })

  it("the MDEPLOY_SIM_HEALTH=never label keeps an app unhealthy without scripting", async () => {
    await api.post("/v2/apps", { ...web, labels: { MDEPLOY_SIM_HEALTH: "never" }, healthChecks: [check] })
    await api.advance(60)
    const a = await app()
    assert.strictEqual(a.tasksHealthy, 0)
    assert.isAbove(a.tasksUnhealthy + a.tasksStaged, 0)
    assert.lengthOf((await api.get("/v2/deployments")).json, 1)
    assert.strictEqual((await api.get("/__sim/apps/c/web/behaviour")).json.health, "never")
  })

  it("flapping health alternates; silent health never reports", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { health: "flapping" })
    await api.post("/v2/apps", { ...web, instances: 1, healthChecks: [{ ...check, maxConsecutiveFailures: 5 }] })
    await advanceUntil(api, "healthy once", async () => (await app()).tasksHealthy === 1)
    await advanceUntil(api, "unhealthy", async () => (await app()).tasksUnhealthy === 1)
    await advanceUntil(api, "healthy again", async () => (await app()).tasksHealthy === 1)
    await api.put("/__sim/apps/c/other/behaviour", { health: "silent" })
    await api.post("/v2/apps", { ...web, id: "/c/other", instances: 1, healthChecks: [check] })
    await api.advance(60)
    const other = (await api.get("/v2/apps/c/other")).json.app
    assert.include(other, { tasksRunning: 1, tasksHealthy: 0, tasksUnhealthy: 0 })
    assert.deepStrictEqual(other.tasks[0].healthCheckResults, [])
  })

  it("setting a task's health through the admin API", async () => {
    await deployApp(api, { ...web, healthChecks: [check] })
    const [t] = (await app()).tasks
    assert.strictEqual((await api.post(`/__sim/tasks/${t.id}/health`, { alive: false })).status, 200)
    const a = await app()
    assert.strictEqual(a.tasksUnhealthy, 1)
    assert.strictEqual(a.tasks.find((x: { id: string }) => x.id === t.id).healthCheckResults[0].alive, false)
    await api.post(`/__sim/tasks/${t.id}/health`, { alive: true })
    assert.strictEqual((await app()).tasksHealthy, 2)
    assert.strictEqual((await api.post("/__sim/tasks/nope/health", { alive: true })).status, 404)
  })

  it("a crash loop fails, backs off and relaunches with higher incarnations", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { crash: { afterSeconds: 2, state: "TASK_FAILED", message: "OOM" } })
    await api.post("/v2/apps", { ...web, instances: 1 })
    await advanceUntil(api, "the third incarnation", async () => /\._app\.3$/.test((await app()).tasks[0]?.id ?? ""), 0.5, 60)
    const failure = (await api.get("/v2/apps/c/web?embed=app.lastTaskFailure")).json.app.lastTaskFailure
    assert.include(failure, { state: "TASK_FAILED", message: "OOM" })
    // A task that crashes before TASK_RUNNING keeps its deployment from ever finishing.
    await api.put("/__sim/apps/c/early/behaviour", { crash: { afterSeconds: 0.05, beforeRunning: true } })
    await api.post("/v2/apps", { ...web, id: "/c/early", instances: 1 })
    await api.advance(60)
    assert.deepStrictEqual((await api.get("/v2/deployments")).json.map((d: { affectedApps: Array<string> }) => d.affectedApps), [[
      "/c/early"
    ]])
  })

  it("stuck in staging until the launch timeout, then killed and replaced", async () => {
    const s = await startSim({ taskLaunchTimeoutMs: 30_000 })
    await s.api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    await s.api.post("/v2/apps", { ...web, instances: 1 })
    await s.api.advance(20)
    const first = (await s.api.get("/v2/apps/c/web")).json.app.tasks[0]
    assert.strictEqual(first.state, "TASK_STAGING")
    await s.api.advance(15)
    const [now] = (await s.api.get("/v2/apps/c/web")).json.app.tasks
    assert.notStrictEqual(now.id, first.id)
    assert.strictEqual(now.state, "TASK_STAGING")
    await s.sim.close()
  })

  it("moving tasks between states: finished, unreachable (replaced), running", async () => {
    await deployApp(api, { ...web, instances: 1 })
    const [t] = (await app()).tasks
    await api.post(`/__sim/tasks/${t.id}/state`, { state: "TASK_UNREACHABLE" })
    await advanceUntil(
      api,
      "a replacement runs",
      async () => (await app()).tasks.some((x: { state: string }) => x.state === "TASK_RUNNING")
    )
    assert.notInclude((await app()).tasks.map((x: { id: string }) => x.id), t.id)
    const [r] = (await app()).tasks
    assert.strictEqual((await api.post(`/__sim/tasks/${r.id}/state`, { state: "NOPE" })).status, 400)
    await api.post(`/__sim/tasks/${r.id}/state`, { state: "TASK_FINISHED" })
    assert.strictEqual((await app()).tasks[0].state, "TASK_FINISHED")
  })

  it("maintenance: draining hosts show in the Mesos maintenance status; tasks there are unchanged", async () => {
    await deployApp(api)
    const [t] = (await app()).tasks
    const r = await api.post(`/__sim/hosts/${t.host}/maintenance`, { draining: true })
    assert.deepStrictEqual(r.json, { host: t.host, draining: true, down: false })
    const status = await api.post("/api/v1", { type: "GET_MAINTENANCE_STATUS" })
    assert.deepStrictEqual(status.json, {
      type: "GET_MAINTENANCE_STATUS",
      get_maintenance_status: { status: { draining_machines: [{ id: { hostname: t.host, ip: t.host } }], down_machines: [] } }
    })
    assert.deepStrictEqual((await api.get("/maintenance/status")).json.draining_machines, [{ id: { hostname: t.host, ip: t.host } }])
    assert.deepStrictEqual((await app()).tasks.find((x: { id: string }) => x.id === t.id), t)
    assert.isTrue(
      (await api.get("/__sim/hosts")).json.hosts.some((x: { host: string; draining: boolean }) => x.host === t.host && x.draining)
    )
  })

  it("an agent going down makes its tasks unreachable; replacements land elsewhere", async () => {
    await deployApp(api, { ...web, instances: 3 })
    const host = (await app()).tasks[0].host
    await api.post(`/__sim/hosts/${host}/maintenance`, { down: true })
    await advanceUntil(api, "three running elsewhere", async () => {
      const tasks = (await app()).tasks
      return tasks.length === 3 && tasks.every((x: { host: string; state: string }) => x.host !== host && x.state === "TASK_RUNNING")
    })
    assert.deepStrictEqual((await api.get("/maintenance/status")).json.down_machines, [{ hostname: host, ip: host }])
  })

  it("GET /__sim/state shows apps, tasks, deployments, agents and behaviours", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { health: "never" })
    await api.post("/v2/apps", web)
    await api.advance(1)
    const s = (await api.get("/__sim/state")).json
    assert.strictEqual(s.clock, "virtual")
    assert.deepStrictEqual(s.apps.map((a: { id: string }) => a.id), ["/c/web"])
    assert.lengthOf(s.tasks, 2)
    assert.lengthOf(s.deployments, 0)
    assert.lengthOf(s.agents, 3)
    assert.strictEqual(s.behaviours["/c/web"].health, "never")
    assert.strictEqual((await api.put("/__sim/apps/c/web/behaviour", { health: "sometimes" })).status, 400)
    assert.strictEqual((await api.delete("/__sim/apps/c/web/behaviour")).status, 204)
  })
})

describe("default behaviour on the real clock", () => {
  it("tasks stage, start, run and pass their health checks after short delays", async () => {
    const h = await startSim({ clock: "real", taskStartDelayMs: 40, healthyAfterMs: 60 })
    assert.strictEqual((await h.api.post("/__sim/clock/advance", { seconds: 1 })).status, 409)
    await h.api.post("/v2/apps", { ...web, healthChecks: [check] })
    await waitUntil("the app is healthy and deployed", async () => {
      const a = (await h.api.get("/v2/apps/c/web")).json.app
      return a.tasksHealthy === 2 && a.deployments.length === 0
    })
    await h.sim.close()
  })
})
