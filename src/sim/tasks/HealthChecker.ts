// Marathon-level health checks (spec §4.6): each running task is probed per check, first after
// `healthyAfterMs` (or the scripted delay, at most one interval), then every intervalSeconds.
// Failures inside the grace period are ignored; outside it they publish
// failed_health_check_event, and after maxConsecutiveFailures the task is killed (and, having
// goal Running, relaunched). Results come from the app's behaviour or an admin override.
import type { HealthCheckDef } from "../apps/AppDef.ts"
import { failedHealthCheck, healthStatusChanged, instanceHealthChanged, unhealthyInstanceKill } from "../events/SimEvents.ts"
import type { SimContext } from "../state/SimContext.ts"
import { cancelFor, isHealthy, scheduleFor, type HealthResult, type Instance } from "./Instance.ts"
import type { TaskLifecycle } from "./TaskLifecycle.ts"

export class HealthChecker {
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle

  constructor(ctx: SimContext, tasks: TaskLifecycle) {
    this.ctx = ctx
    this.tasks = tasks
  }

  start(inst: Instance): void {
    const checks = inst.def.healthChecks
    if (checks === undefined || checks.length === 0) return
    const b = this.ctx.behaviourOf(inst.appId, inst.def)
    const first = b.healthyAfterSeconds === undefined ? this.ctx.options.healthyAfterMs : b.healthyAfterSeconds * 1000
    checks.forEach((hc, index) => {
      const interval = Math.max(1, hc.intervalSeconds) * 1000
      this.at(inst, Math.min(first, interval), () => this.tick(inst, index, hc, interval))
    })
  }

  stop(inst: Instance): void {
    cancelFor(inst, "checkTimers")
  }

  /** Admin override: from now on every probe of this task answers `alive`. */
  override(inst: Instance, alive: boolean): void {
    inst.healthOverride = alive
    inst.def.healthChecks?.forEach((hc, index) => this.record(inst, index, hc, alive, true))
  }

  private at(inst: Instance, ms: number, run: () => void): void {
    scheduleFor(this.ctx.clock, inst, "checkTimers", ms, run)
  }

  private tick(inst: Instance, index: number, hc: HealthCheckDef, interval: number): void {
    if (inst.state !== "TASK_RUNNING") return
    this.at(inst, interval, () => this.tick(inst, index, hc, interval))
    const pass = this.probe(inst)
    if (pass !== undefined) this.record(inst, index, hc, pass, false)
  }

  private probe(inst: Instance): boolean | undefined {
    if (inst.healthOverride !== undefined) return inst.healthOverride
    const b = this.ctx.behaviourOf(inst.appId, inst.def)
    const up = (this.ctx.now() - (inst.startedAt ?? 0)) >= (b.healthyAfterSeconds ?? 0) * 1000
    switch (b.health) {
      case "healthy":
        return up
      case "never":
        return false
      case "flapping":
        return up && inst.healthTicks++ % 2 === 0
      case "silent":
        return undefined
    }
  }

  private record(inst: Instance, index: number, hc: HealthCheckDef, pass: boolean, ignoreGrace: boolean): void {
    const now = this.ctx.now()
    const wasHealthy = isHealthy(inst)
    const results = (inst.health ??= (inst.def.healthChecks ?? []).map(() => undefined))
    const prev = results[index]
    // Results are updated in place: remember what the check said before this one.
    const wasAlive = prev?.alive ?? false
    if (pass) {
      const h: HealthResult = prev ?? emptyResult()
      h.alive = true
      h.consecutiveFailures = 0
      h.firstSuccess ??= now
      h.lastSuccess = now
      results[index] = h
    } else {
      const inGrace = prev?.firstSuccess === undefined && now < (inst.startedAt ?? now) + hc.gracePeriodSeconds * 1000
      if (inGrace && !ignoreGrace) {
        if (results.every((r) => r === undefined)) inst.health = undefined
        return
      }
      this.ctx.events.emit("failed_health_check_event", () => failedHealthCheck(inst, hc))
      const h: HealthResult = prev ?? emptyResult()
      const before = h.consecutiveFailures
      h.alive = false
      h.lastFailure = now
      h.lastFailureCause = "Simulated health check failure"
      h.consecutiveFailures = before + 1
      results[index] = h
      const max = hc.maxConsecutiveFailures
      const limit = this.ctx.options.killOnFailureAfterMax ? before >= max : h.consecutiveFailures >= max
      const mesosLevel = hc.protocol.startsWith("MESOS_")
      if (inst.state === "TASK_RUNNING" && ((max > 0 && limit) || (max === 0 && mesosLevel))) {
        this.kill(inst)
        return
      }
    }
    inst.json = undefined
    const healthy = isHealthy(inst)
    // Marathon 1.10's health check actor announces a check only when its `alive` flips; a check
    // with no result yet counts as not alive, so a first failing result is no change. The
    // instance's health (none → unhealthy included) is announced on every change.
    const alive = results[index]!.alive
    if (alive !== wasAlive) {
      this.ctx.events.emit("health_status_changed_event", () => healthStatusChanged(inst, alive))
    }
    if (healthy !== wasHealthy || prev === undefined) {
      this.ctx.events.emit("instance_health_changed_event", () => instanceHealthChanged(inst, healthy))
      this.ctx.onChange(inst.appId)
    }
  }

  private kill(inst: Instance): void {
    const reason = "Simulated health check failure"
    this.ctx.events.emit("unhealthy_instance_kill_event", () => unhealthyInstanceKill(inst, reason))
    const app = this.ctx.apps.get(inst.appId)
    if (app !== undefined) {
      app.lastTaskFailure = this.tasks.failure(inst, "TASK_KILLED", `Task was killed since health check failed. Reason: ${reason}`)
    }
    this.tasks.kill(inst)
  }
}

const emptyResult = (): HealthResult => ({
  alive: false,
  consecutiveFailures: 0,
  firstSuccess: undefined,
  lastSuccess: undefined,
  lastFailure: undefined,
  lastFailureCause: undefined
})
