// Conformance statements 19–29 of spec §6 (tasks and counts), plus task ids and kill answers.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { advanceUntil, deployApp, noDeployments, startSim, web, type Api, type Harness } from "./SimHarness.ts"

const taskIdFormat = /^c_web\.instance-[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\._app\.(\d+)$/

describe("tasks and counts", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim()
    api = h.api
  })
  afterEach(() => h.sim.close())

  const app = async () => (await api.get("/v2/apps/c/web")).json.app

  it("19: without health checks, 2 running tasks count 2/0/0", async () => {
    await deployApp(api)
    const a = await app()
    assert.include(a, { tasksRunning: 2, tasksHealthy: 0, tasksUnhealthy: 0, tasksStaged: 0 })
    for (const t of a.tasks) assert.match(t.id, taskIdFormat)
  })

  it("20: inside the grace period a task is neither healthy nor unhealthy and has no results", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { health: "never" })
    await api.post("/v2/apps", { ...web, healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 300, intervalSeconds: 10 }] })
    await advanceUntil(api, "tasks run", async () => (await app()).tasksRunning === 2)
    await api.advance(30)
    const a = await app()
    assert.include(a, { tasksHealthy: 0, tasksUnhealthy: 0 })
    for (const t of a.tasks) assert.deepStrictEqual(t.healthCheckResults, [])
  })

  it("21: a staging task has stagedAt only and counts as staged; starting counts as neither", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    await api.post("/v2/apps", web)
    await advanceUntil(api, "tasks are staged", async () => (await app()).tasks.length === 2)
    let a = await app()
    assert.strictEqual(a.tasksStaged, 2)
    for (const t of a.tasks) {
      assert.strictEqual(t.state, "TASK_STAGING")
      assert.isString(t.stagedAt)
      assert.notProperty(t, "startedAt")
    }
    const r = await api.post(`/__sim/tasks/${a.tasks[0].id}/state`, { state: "TASK_STARTING" })
    assert.strictEqual(r.status, 200)
    a = await app()
    assert.include(a, { tasksStaged: 1, tasksRunning: 0 })
  })

  it("23: ?status=running lists only running tasks, each with servicePorts", async () => {
    await deployApp(api)
    await api.put("/__sim/apps/other/behaviour", { stuck: "staging" })
    await api.post("/v2/apps", { ...web, id: "/other", instances: 1 })
    await advanceUntil(api, "the other task is staged", async () => (await api.get("/v2/tasks?status=staging")).json.tasks.length === 1)
    const running = (await api.get("/v2/tasks?status=running")).json.tasks
    assert.lengthOf(running, 2)
    for (const t of running) {
      assert.strictEqual(t.state, "TASK_RUNNING")
      assert.deepStrictEqual(t.servicePorts, [10000])
    }
    assert.lengthOf((await api.get("/v2/tasks")).json.tasks, 3)
    assert.lengthOf((await api.get("/v2/tasks?status[]=running&status[]=staging")).json.tasks, 3)
  })

  it("24: killing a task without scale keeps instances and relaunches it with a higher incarnation", async () => {
    await deployApp(api)
    const [victim] = (await app()).tasks
    const r = await api.delete(`/v2/apps/c/web/tasks/${victim.id}`)
    assert.strictEqual(r.status, 200)
    assert.strictEqual(r.json.task.id, victim.id)
    assert.strictEqual(r.json.task.state, "TASK_RUNNING")
    assert.strictEqual((await app()).instances, 2)
    assert.deepStrictEqual((await api.get("/v2/deployments")).json, [])
    await advanceUntil(api, "the replacement runs", async () => {
      const tasks = (await app()).tasks
      return tasks.length === 2 && tasks.every((t: { state: string; id: string }) => t.state === "TASK_RUNNING" && t.id !== victim.id)
    })
    const ids: Array<string> = (await app()).tasks.map((t: { id: string }) => t.id)
    const [, prefix] = /^(.*)\.\d+$/.exec(victim.id)!
    assert.include(ids, `${prefix}.2`)
  })

  it("26: an unknown but well-formed task id is 404", async () => {
    await deployApp(api)
    const id = "c_web.instance-00000000-0000-0000-0000-000000000000._app.1"
    const r = await api.delete(`/v2/apps/c/web/tasks/${id}`)
    assert.strictEqual(r.status, 404)
    assert.deepStrictEqual(r.json, { message: `Task '${id}' does not exist` })
  })

  it("task id quirks: a legacy-looking id with a non-UUID tail is 422; unknown app is 404", async () => {
    await deployApp(api)
    const r = await api.delete("/v2/apps/c/web/tasks/foo.bar")
    assert.strictEqual(r.status, 422)
    assert.deepStrictEqual(r.json, { message: "Invalid UUID string: bar" })
    assert.deepStrictEqual((await api.delete("/v2/apps/c/nope/tasks/foo.bar")).json, { message: "App '/c/nope' does not exist" })
    assert.deepStrictEqual((await api.get("/v2/apps/c/nope/tasks")).json, { message: "App '/c/nope' does not exist" })
  })

  it("28: an id that does not parse is 400 Invalid task id", async () => {
    const r = await api.post("/v2/tasks/delete", { ids: ["garbage"] })
    assert.strictEqual(r.status, 400)
    assert.match(r.json.message, /^Invalid task id 'garbage'/)
  })

  it("29: /v2/tasks/delete?scale=true drops instances by the number killed", async () => {
    await deployApp(api)
    const ids = (await app()).tasks.map((t: { id: string }) => t.id)
    const r = await api.post("/v2/tasks/delete?scale=true", { ids: [...ids, "c_web.instance-00000000-0000-0000-0000-000000000000._app.1"] })
    assert.strictEqual(r.status, 200)
    assert.hasAllKeys(r.json, ["deploymentId", "version"])
    assert.strictEqual(r.headers.get("marathon-deployment-id"), r.json.deploymentId)
    assert.strictEqual((await app()).instances, 0)
    await advanceUntil(api, "the tasks are gone", async () => (await app()).tasks.length === 0)
    await advanceUntil(api, "the scale deployment is done", noDeployments(api))
  })

  it("kill with scale on one app answers a deployment that kills exactly the named tasks", async () => {
    await deployApp(api, { ...web, instances: 3 })
    const [first, , third] = (await app()).tasks
    const r = await api.delete(`/v2/apps/c/web/tasks/${third.id}?scale=true`)
    assert.hasAllKeys(r.json, ["deploymentId", "version"])
    const [d] = (await api.get("/v2/deployments")).json
    assert.deepStrictEqual(d.steps, [{ actions: [{ action: "ScaleApplication", app: "/c/web" }] }])
    await advanceUntil(api, "the scale deployment is done", noDeployments(api))
    const left = (await app()).tasks.map((t: { id: string }) => t.id)
    assert.lengthOf(left, 2)
    assert.notInclude(left, third.id)
    assert.include(left, first.id)
  })

  it("the multi form kills all tasks (or those on one host) and returns them", async () => {
    await deployApp(api)
    const tasks = (await app()).tasks
    const byHost = await api.delete(`/v2/apps/c/web/tasks?host=${tasks[0].host}`)
    assert.deepStrictEqual(byHost.json.tasks.map((t: { id: string }) => t.id), [tasks[0].id])
    await advanceUntil(api, "both run again", async () => (await app()).tasksRunning === 2)
    const all = await api.delete("/v2/apps/c/web/tasks")
    assert.lengthOf(all.json.tasks, 2)
  })

  it("quirk: scale=true on an app with no instances is 404 Path does not exist", async () => {
    await deployApp(api, { ...web, instances: 0 })
    const r = await api.delete("/v2/apps/c/web/tasks?scale=true")
    assert.strictEqual(r.status, 404)
    assert.deepStrictEqual(r.json, { message: "Path '/c/web' does not exist" })
  })

  it("terminal tasks waiting for relaunch drop stagedAt, startedAt, ports and version", async () => {
    await deployApp(api, { ...web, instances: 1, backoffSeconds: 30 })
    const [t] = (await app()).tasks
    await api.post(`/__sim/tasks/${t.id}/state`, { state: "TASK_FAILED", message: "boom" })
    const [failed] = (await app()).tasks
    assert.strictEqual(failed.state, "TASK_FAILED")
    for (const k of ["stagedAt", "startedAt", "ports", "version"]) assert.notProperty(failed, k)
  })
})
