// Behaviours where the emulator once differed from Marathon 1.10.26 (ScalingProposition,
// ReadinessCheckResult, EnrichedTask, HealthCheckActor, TasksResource): each test fails on the old one.
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { advanceUntil, deployApp, startSim, web, type Api, type Harness } from "./SimHarness.ts"

describe("Marathon 1.10 parity", () => {
  let h: Harness
  let api: Api
  beforeEach(async () => {
    h = await startSim({ agents: 3 })
    api = h.api
  })
  afterEach(() => h.sim.close())

  const app = async (embed = "") => (await api.get(`/v2/apps/c/web${embed}`)).json.app

  it("a scale-down kills a running task before an instance still waiting for an offer (weights 1–4, others 5)", async () => {
    // hostname UNIQUE on 3 agents: the fourth instance never finds an offer and stays scheduled.
    await api.post("/v2/apps", { ...web, instances: 4, constraints: [["hostname", "UNIQUE"]] })
    await advanceUntil(api, "3 tasks run", async () => (await app()).tasksRunning === 3, 0.5)
    const running = (await app()).tasks.map((t: { id: string }) => t.id)
    assert.strictEqual((await api.get("/v2/queue")).json.queue[0].count, 1)
    const r = await api.put("/v2/apps/c/web?force=true", { instances: 3 })
    assert.strictEqual(r.status, 200, r.text)
    // One running task is killed; its host frees up and the waiting instance is placed there.
    await advanceUntil(api, "a running task was replaced by the waiting instance", async () => {
      const ids = (await app()).tasks.map((t: { id: string }) => t.id)
      return ids.filter((id: string) => !running.includes(id)).length === 1 && ids.length === 3
    }, 1)
    assert.strictEqual((await app()).tasks.filter((t: { id: string }) => running.includes(t.id)).length, 2)
  })

  it("readinessCheckResults name the task id (…._app.N), not the instance id", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { readyAfterSeconds: 60 })
    const readinessChecks = [{
      name: "ready",
      protocol: "HTTP",
      path: "/ready",
      portName: "http",
      intervalSeconds: 5,
      timeoutSeconds: 2,
      httpStatusCodesForReady: [200],
      preserveLastResponse: true
    }]
    await api.post("/v2/apps", { ...web, instances: 1, portDefinitions: [{ port: 0, name: "http" }], readinessChecks })
    await advanceUntil(api, "a readiness result", async () => (await app("?embed=app.readiness")).readinessCheckResults?.length === 1)
    const a = await app("?embed=app.readiness")
    assert.match(a.tasks[0].id, /\._app\.1$/)
    assert.strictEqual(a.readinessCheckResults[0].taskId, a.tasks[0].id)
    const [deployment] = (await api.get("/v2/deployments")).json
    assert.strictEqual(deployment.currentActions[0].readinessCheckResults[0].taskId, a.tasks[0].id)
  })

  it("tasks embedded in apps and /v2/apps/{id}/tasks carry empty servicePorts; only /v2/tasks fills them", async () => {
    await deployApp(api, { ...web, portDefinitions: [{ port: 10000 }] })
    for (const t of (await app()).tasks) assert.deepStrictEqual(t.servicePorts, [])
    for (const t of (await api.get("/v2/apps?embed=apps.tasks")).json.apps[0].tasks) assert.deepStrictEqual(t.servicePorts, [])
    for (const t of (await api.get("/v2/apps/c/web/tasks")).json.tasks) assert.deepStrictEqual(t.servicePorts, [])
    const all = (await api.get("/v2/tasks")).json.tasks
    assert.lengthOf(all, 2)
    for (const t of all) assert.deepStrictEqual(t.servicePorts, [10000])
  })

  it("health_status_changed_event is sent only when a check's alive flips, not for a first failing result", async () => {
    const events: Array<SimEvent> = []
    h.sim.onEvent((e) => events.push(e), ["health_status_changed_event", "instance_health_changed_event"])
    await api.put("/__sim/apps/c/web/behaviour", { health: "never" })
    const check = {
      protocol: "HTTP",
      path: "/health",
      portIndex: 0,
      gracePeriodSeconds: 1,
      intervalSeconds: 5,
      timeoutSeconds: 2,
      maxConsecutiveFailures: 0
    }
    await api.post("/v2/apps", { ...web, instances: 1, healthChecks: [check] })
    await advanceUntil(api, "the task is unhealthy", async () => (await app()).tasksUnhealthy === 1)
    await api.advance(20)
    const status = () => events.filter((e) => e.eventType === "health_status_changed_event")
    assert.lengthOf(status(), 0)
    // The instance's health did change (none → unhealthy), and Marathon says so on its own event.
    assert.isAbove(events.filter((e) => e.eventType === "instance_health_changed_event").length, 0)
    const task = (await app()).tasks[0].id
    await api.post(`/__sim/tasks/${task}/health`, { alive: true })
    await api.post(`/__sim/tasks/${task}/health`, { alive: true })
    assert.deepStrictEqual(status().map((e) => e.payload["alive"]), [true])
    await api.post(`/__sim/tasks/${task}/health`, { alive: false })
    assert.deepStrictEqual(status().map((e) => e.payload["alive"]), [true, false])
  })

  it("GET /v2/tasks and /v2/apps/{id}/tasks asking for text/plain answer 406 with Marathon's deprecation text", async () => {
    await deployApp(api)
    api.checks = false
    for (const path of ["/v2/tasks", "/v2/apps/c/web/tasks"]) {
      const r = await fetch(`${h.sim.url}${path}`, { headers: { accept: "text/plain" } })
      assert.strictEqual(r.status, 406, path)
      assert.strictEqual(await r.text(), "The text/plain output is deprecated. It can be enabled via text_plain_tasks.")
      // JSON, or anything, still answers the list.
      const json = await fetch(`${h.sim.url}${path}`, { headers: { accept: "application/json, text/plain" } })
      assert.strictEqual(json.status, 200, path)
    }
  })

  it("a 409 lock publishes deployment_failed with the whole lock text; too many deployments answer Marathon's 403 text", async () => {
    const events: Array<SimEvent> = []
    h.sim.onEvent((e) => events.push(e), ["deployment_failed"])
    await api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
    await api.post("/v2/apps", web)
    const locked = await api.put("/v2/apps/c/web", { ...web, cmd: "sleep 2000" })
    assert.strictEqual(locked.status, 409)
    assert.strictEqual(events[0]!.payload["reason"], locked.json.message)
    assert.match(String(events[0]!.payload["reason"]), /Override with the option '\?force=true'/)
    const limited = await startSim({ maxRunningDeployments: 1 })
    try {
      await limited.api.put("/__sim/apps/c/web/behaviour", { stuck: "staging" })
      await limited.api.post("/v2/apps", web)
      const refused = await limited.api.post("/v2/apps", { ...web, id: "/c/other" })
      assert.strictEqual(refused.status, 403)
      assert.strictEqual(
        refused.json.message,
        "Max number (1) of running deployments is achieved. Wait for existing deployments to complete or cancel oneusing " +
          "force=true parameter. You can increase max deployment number by using --max_running_deployments parameter but be " +
          "advised that this can have negative effects on the performance."
      )
    } finally {
      limited.sim.close()
    }
  })

  it("DELETE /v2/apps/{id}/restart deletes an app named …/restart: 404 for an app that does not exist", async () => {
    await deployApp(api)
    const r = await api.delete("/v2/apps/c/web/restart")
    assert.strictEqual(r.status, 404)
    assert.strictEqual(r.json.message, "App '/c/web/restart' does not exist")
    assert.strictEqual((await api.get("/v2/apps/c/web")).status, 200)
  })

  it("/v2/info carries every Marathon 1.10 config key that has a default, with that default", async () => {
    const info = (await api.get("/v2/info")).json
    assert.include(info.marathon_config, {
      decline_offer_duration: 120000,
      launch_token: 100,
      max_instances_per_offer: 5,
      mesos_bridge_name: "mesos-bridge",
      new_group_enforce_role: "Off",
      reconciliation_interval: 600000,
      task_reservation_timeout: 20000,
      maintenance_mode: true
    })
    assert.include(info.zookeeper_config, { zk_compression: true, zk_compression_threshold: 65536, zk_max_node_size: 1024000 })
    // Marathon's 41 config keys less the 3 without a default, and no mesos_leader_ui_url (no Mesos UI here).
    assert.lengthOf(Object.keys(info.marathon_config), 37)
  })

  it("/v2/queue summaries carry Marathon's reject funnel, one step per reason", async () => {
    await api.post("/v2/apps", { ...web, instances: 4, constraints: [["hostname", "UNIQUE"]] })
    await advanceUntil(api, "one instance waits", async () => (await api.get("/v2/queue")).json.queue[0]?.count === 1, 0.5)
    const summary = (await api.get("/v2/queue")).json.queue[0].processedOffersSummary
    for (const key of ["rejectSummaryLastOffers", "rejectSummaryLaunchAttempt"]) {
      assert.deepStrictEqual(summary[key].map((step: { reason: string }) => step.reason), [
        "UnfulfilledRole",
        "UnfulfilledConstraint",
        "NoCorrespondingReservationFound",
        "AgentMaintenance",
        "InsufficientCpus",
        "InsufficientMemory",
        "InsufficientDisk",
        "InsufficientGpus",
        "InsufficientPorts",
        "DeclinedScarceResources"
      ])
    }
  })

  it("a task is never staged before the version it runs, even when virtual time has barely moved since it was written", async () => {
    // Three writes in one virtual millisecond: the versions run 2 ms ahead of the clock.
    await api.post("/v2/apps", { ...web, instances: 1 })
    for (const instances of [2, 3]) assert.strictEqual((await api.put("/v2/apps/c/web?force=true", { instances })).status, 200)
    // One virtual millisecond on: the tasks are staged while the clock still reads before v3.
    await advanceUntil(api, "3 tasks staged", async () => (await app()).tasks.length === 3, 0.001)
    const current = await app("?embed=app.taskStats")
    for (const task of current.tasks) {
      assert.isAtLeast(Date.parse(task.stagedAt), Date.parse(task.version), `${task.id} staged ${task.stagedAt}, version ${task.version}`)
    }
  })
})
