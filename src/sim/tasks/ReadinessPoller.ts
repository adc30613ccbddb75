// Readiness checks (spec §4.7): polled every intervalSeconds, and only while a deployment step
// waits on the task; polling stops once the task is ready. The answer comes from the app's
// behaviour: 503 until `readyAfterSeconds` after TASK_RUNNING (or for ever with "never"), then 200.
import type { SimContext } from "../state/SimContext.ts"
import { scheduleFor, type Instance } from "./Instance.ts"

export class ReadinessPoller {
  private readonly ctx: SimContext
  /** The incarnation being polled per instance. */
  private readonly watched = new WeakMap<Instance, number>()

  constructor(ctx: SimContext) {
    this.ctx = ctx
  }

  /** Starts polling a running task that is not ready yet (idempotent). */
  watch(inst: Instance): void {
    const check = inst.def.readinessChecks?.[0]
    if (check === undefined || inst.ready || inst.state !== "TASK_RUNNING" || this.watched.get(inst) === inst.incarnation) return
    this.watched.set(inst, inst.incarnation)
    const incarnation = inst.incarnation
    const poll = () => {
      if (inst.state !== "TASK_RUNNING" || inst.incarnation !== incarnation) {
        this.watched.delete(inst)
        return
      }
      const b = this.ctx.behaviourOf(inst.appId, inst.def)
      const up = this.ctx.now() - (inst.startedAt ?? 0) >= b.readyAfterSeconds * 1000
      const status = b.ready === "ready" && up ? 200 : 503
      const ready = check.httpStatusCodesForReady.includes(status)
      inst.readiness = {
        name: check.name,
        ready,
        lastResponse: check.preserveLastResponse
          ? { status, contentType: "text/plain", body: ready ? "OK" : "Service Unavailable" }
          : undefined
      }
      if (ready) {
        inst.ready = true
        this.watched.delete(inst)
      } else {
        scheduleFor(this.ctx.clock, inst, "checkTimers", Math.max(1, check.intervalSeconds) * 1000, poll)
      }
      this.ctx.onChange(inst.appId)
    }
    scheduleFor(this.ctx.clock, inst, "checkTimers", 0, poll)
  }
}
