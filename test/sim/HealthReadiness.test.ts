// Conformance statements 49–58 of spec §6 (health, readiness, upgradeStrategy, backoff).
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import type { SimEvent } from "../../src/sim/events/EventBus.ts"
import { isActive, isHealthy } from "../../src/sim/tasks/Instance.ts"
import { advanceUntil, deployApp, noDeployments, startSim, web, type Api, type Harness } from "./SimHarness.ts"

const check = {
  protocol: "HTTP",
  path: "/health",
  portIndex: 0,
  gracePeriodSeconds: 10,
  intervalSeconds: 5,
  timeoutSeconds: 2,
  maxConsecutiveFailures: 2
}

describe("health, readiness, backoff", () => {
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

  const app = async (embed = "") => (await api.get(`/v2/apps/c/web${embed}`)).json.app
  const of = (type: string) => events.filter((e) => e.eventType === type)

  it("49: failing checks after the grace period publish failures, then a kill and a replacement; the deployment never ends", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { health: "never" })
    await api.post("/v2/apps", { ...web, instances: 1, healthChecks: [check] })
    await advanceUntil(api, "the task runs", async () => (await app()).tasksRunning === 1)
    const first = (await app()).tasks[0].id
    await api.advance(9)
    assert.lengthOf(of("failed_health_check_event"), 0)
    await advanceUntil(api, "a kill", async () => of("unhealthy_instance_kill_event").length > 0, 1, 60)
    const failures = of("failed_health_check_event")
    // Marathon kills on the failure after the N-th consecutive one (spec §4.6).
    assert.lengthOf(failures, check.maxConsecutiveFailures + 1)
    assert.strictEqual(failures[1]!.payload["taskId"], first.replace(/\._app\.\d+$/, ""))
    const gaps = failures.slice(1).map((e, i) =>
      Date.parse(String(e.payload["timestamp"])) - Date.parse(String(failures[i]!.payload["timestamp"]))
    )
    assert.deepStrictEqual(gaps, [5000, 5000])
    const kill = of("unhealthy_instance_kill_event")[0]!
    assert.strictEqual(kill.payload["taskId"], first)
    await advanceUntil(api, "a replacement runs", async () => {
      const t = (await app()).tasks
      return t.length === 1 && t[0].id !== first && t[0].state === "TASK_RUNNING"
    })
    await api.advance(120)
    assert.lengthOf(await (await api.get("/v2/deployments")).json, 1)
    assert.isFalse(events.some((e) => e.eventType === "deployment_success"))
    const failure = (await app("?embed=app.lastTaskFailure")).lastTaskFailure
    assert.strictEqual(failure.state, "TASK_KILLED")
    assert.match(failure.message, /^Task was killed since health check failed/)
  })

  it("50: with passing checks the deployment ends only when every new task is alive", async () => {
    let healthyAtSuccess = -1
    h.sim.onEvent(() => {
      healthyAtSuccess = [...h.sim.sim.ctx.instancesOf("/c/web")].filter(isHealthy).length
    }, ["deployment_success"])
    await api.put("/__sim/apps/c/web/behaviour", { healthyAfterSeconds: 12 })
    await api.post("/v2/apps", { ...web, healthChecks: [check] })
    await advanceUntil(api, "deployed", noDeployments(api), 0.5, 120)
    assert.strictEqual(healthyAtSuccess, 2)
    const a = await app()
    assert.strictEqual(a.tasksHealthy, 2)
    for (const t of a.tasks) assert.isTrue(t.healthCheckResults[0].alive)
    assert.isAbove(of("health_status_changed_event").length, 1)
  })

  it("51: a readiness check answering 503 then 200 holds the deployment until ready", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { readyAfterSeconds: 20 })
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
    await advanceUntil(
      api,
      "a readiness result",
      async () => (await api.get("/v2/deployments")).json[0]?.currentActions[0]?.readinessCheckResults.length === 1
    )
    const [d] = (await api.get("/v2/deployments")).json
    const [result] = d.currentActions[0].readinessCheckResults
    assert.include(result, { name: "ready", ready: false })
    assert.strictEqual(result.lastResponse.status, 503)
    const withReadiness = await app("?embed=app.readiness")
    assert.strictEqual(withReadiness.readinessCheckResults[0].ready, false)
    await api.advance(15)
    assert.lengthOf((await api.get("/v2/deployments")).json, 1)
    await advanceUntil(api, "deployed", noDeployments(api), 1, 30)
    assert.isAtLeast(Date.parse(h.sim.sim.ctx.iso()) - Date.parse((await app()).tasks[0].startedAt), 20_000)
  })

  /** Runs a restart of `n` healthy tasks and checks an invariant at every single task change. */
  const restart = async (n: number, strategy: { minimumHealthCapacity: number; maximumOverCapacity: number }) => {
    await deployApp(api, { ...web, instances: n, healthChecks: [check], upgradeStrategy: strategy })
    const config = () => h.sim.sim.ctx.apps.get("/c/web")!.def.versionInfo.lastConfigChangeAt
    const sample = () => {
      const all = [...h.sim.sim.ctx.instancesOf("/c/web")]
      return {
        active: all.filter((i) => isActive(i.state)).length,
        healthy: all.filter((i) => isActive(i.state) && isHealthy(i)).length,
        newActive: all.filter((i) => isActive(i.state) && i.def.versionInfo.lastConfigChangeAt === config()).length,
        oldKilling: all.filter((i) => i.state === "TASK_KILLING" && i.def.versionInfo.lastConfigChangeAt !== config()).length
      }
    }
    const samples: Array<ReturnType<typeof sample>> = []
    h.sim.onEvent(() => samples.push(sample()), ["status_update_event", "health_status_changed_event"])
    await api.post("/v2/apps/c/web/restart")
    await api.advance(0)
    const atStart = sample()
    await advanceUntil(api, "restarted", noDeployments(api), 0.5, 300)
    assert.strictEqual((await app()).tasksHealthy, n)
    return { samples, atStart }
  }

  it("52: (1, 0) with N=3 keeps at most 4 active and at least 3 healthy", async () => {
    const { samples, atStart } = await restart(3, { minimumHealthCapacity: 1, maximumOverCapacity: 0 })
    assert.include(atStart, { oldKilling: 0, newActive: 1 })
    assert.isAtMost(Math.max(...samples.map((s) => s.active)), 4)
    assert.isAtLeast(Math.min(...samples.map((s) => s.healthy)), 3)
  })

  it("53: (0, 0) with N=3 kills all old tasks at once and never runs more than 3", async () => {
    const { samples, atStart } = await restart(3, { minimumHealthCapacity: 0, maximumOverCapacity: 0 })
    assert.include(atStart, { oldKilling: 3, newActive: 0 })
    assert.isAtMost(Math.max(...samples.map((s) => s.active)), 3)
  })

  it("54: (0.5, 0) with N=4 kills exactly 2 old tasks at the start", async () => {
    const { samples, atStart } = await restart(4, { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 })
    assert.include(atStart, { oldKilling: 2, newActive: 0 })
    assert.isAtMost(Math.max(...samples.map((s) => s.active)), 4)
  })

  it("56: failing tasks are delayed by backoffSeconds × backoffFactor^n up to maxLaunchDelaySeconds", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { crash: { afterSeconds: 1, message: "exit 1" } })
    await api.post("/v2/apps", { ...web, instances: 1, backoffSeconds: 10, backoffFactor: 2, maxLaunchDelaySeconds: 40 })
    await advanceUntil(
      api,
      "the first failure",
      async () => of("status_update_event").some((e) => e.payload["taskStatus"] === "TASK_FAILED")
    )
    const { queue } = (await api.get("/v2/queue")).json
    assert.lengthOf(queue, 1)
    assert.strictEqual(queue[0].count, 1)
    assert.strictEqual(queue[0].delay.overdue, false)
    assert.isAbove(queue[0].delay.timeLeftSeconds, 0)
    await api.advance(200)
    const at = (state: string) =>
      of("status_update_event").filter((e) => e.payload["taskStatus"] === state).map((e) => Date.parse(String(e.payload["timestamp"])))
    const failed = at("TASK_FAILED")
    const staged = at("TASK_STAGING")
    const delays = failed.slice(0, 5).map((f) => (staged.find((s) => s >= f)! - f) / 1000)
    assert.deepStrictEqual(delays, [10, 20, 40, 40, 40])
  })

  it("57: DELETE /v2/queue/{id}/delay relaunches at once; config changes reset the delay, scaling does not", async () => {
    await api.put("/__sim/apps/c/web/behaviour", { crash: { afterSeconds: 1 } })
    await api.post("/v2/apps", { ...web, instances: 1, backoffSeconds: 60 })
    await advanceUntil(api, "a failure", async () => (await api.get("/v2/queue")).json.queue.length === 1)
    assert.deepStrictEqual((await api.delete("/v2/queue/nope/delay")).json, { message: "Application /nope not found in tasks queue." })
    const r = await api.delete("/v2/queue/c/web/delay")
    assert.strictEqual(r.status, 204)
    assert.strictEqual((await app()).tasks[0].state, "TASK_STAGING")
    await advanceUntil(api, "another failure", async () => (await api.get("/v2/queue")).json.queue.length === 1)
    await api.put("/v2/apps/c/web?force=true", { instances: 2 })
    assert.isAbove((await api.get("/v2/queue")).json.queue[0].delay.timeLeftSeconds, 0)
    await api.put("/__sim/apps/c/web/behaviour", {})
    await api.put("/v2/apps/c/web?force=true", { cmd: "sleep 5000" })
    const q = (await api.get("/v2/queue")).json.queue
    assert.isTrue(q.length === 0 || q[0].delay.overdue === true, JSON.stringify(q))
  })

  it("58: a failed task is the app's lastTaskFailure", async () => {
    await deployApp(api, { ...web, instances: 1 })
    const [t] = (await app()).tasks
    await api.post(`/__sim/tasks/${t.id}/state`, { state: "TASK_FAILED", message: "Command exited with status 1" })
    const failure = (await app("?embed=app.lastTaskFailure")).lastTaskFailure
    assert.include(failure, {
      appId: "/c/web",
      taskId: t.id,
      state: "TASK_FAILED",
      message: "Command exited with status 1",
      host: t.host,
      version: t.version
    })
    assert.isString(failure.timestamp)
    const list = (await api.get("/v2/apps?embed=apps.lastTaskFailure")).json.apps[0]
    assert.strictEqual(list.lastTaskFailure.taskId, t.id)
    assert.notProperty((await api.get("/v2/apps")).json.apps[0], "lastTaskFailure")
  })
})
