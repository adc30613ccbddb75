// The running deployments (spec §4.2): accepted plans are listed at once and their first step
// starts on the next clock turn; each step publishes deployment_info, runs its actions in
// parallel and publishes deployment_step_success; the last one deployment_success. Instance
// changes re-evaluate the actions of the affected apps. Cancelling publishes deployment_failed.
import type { AppDef } from "../apps/AppDef.ts"
import type { SimContext } from "../state/SimContext.ts"
import type { ReadinessPoller } from "../tasks/ReadinessPoller.ts"
import type { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import { planJson, stepJson, type ActionRun, type Deployment } from "./Deployment.ts"
import type { Step } from "./Plan.ts"
import { RestartRun } from "./RestartRun.ts"
import { ScaleRun } from "./ScaleRun.ts"
import { StopRun } from "./StopRun.ts"

/** F9: hold deployments at a step (optionally only those touching one app). */
export interface FreezeRule {
  readonly atStep: number
  readonly appId: string | undefined
}

export class Deployments {
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle
  private readonly readinessPoller: ReadinessPoller
  private readonly running = new Map<string, Deployment>()
  /** Running deployments by affected app: lookups on hot paths never scan every deployment. */
  private readonly byApp = new Map<string, Set<Deployment>>()
  private readonly dirty = new Set<string>()
  private draining = false
  freeze: FreezeRule | undefined = undefined

  constructor(ctx: SimContext, tasks: TaskLifecycle, readiness: ReadinessPoller) {
    this.ctx = ctx
    this.tasks = tasks
    this.readinessPoller = readiness
  }

  list(): ReadonlyArray<Deployment> {
    return [...this.running.values()]
  }

  get(id: string): Deployment | undefined {
    return this.running.get(id)
  }

  get size(): number {
    return this.running.size
  }

  /** Running deployments whose affected apps overlap `apps`. */
  conflicts(apps: ReadonlyArray<string>): Array<Deployment> {
    const out = new Set<Deployment>()
    for (const a of apps) for (const d of this.byApp.get(a) ?? []) out.add(d)
    return [...out]
  }

  /** Ids of the running deployments that affect `appId`. */
  forApp(appId: string): Array<string> {
    const set = this.byApp.get(appId)
    return set === undefined ? [] : [...set].map((d) => d.id)
  }

  private add(d: Deployment): void {
    this.running.set(d.id, d)
    for (const a of d.affectedApps) {
      let set = this.byApp.get(a)
      if (set === undefined) this.byApp.set(a, set = new Set())
      set.add(d)
    }
  }

  private remove(d: Deployment): boolean {
    if (!this.running.delete(d.id)) return false
    for (const a of d.affectedApps) {
      const set = this.byApp.get(a)
      set?.delete(d)
      if (set?.size === 0) this.byApp.delete(a)
    }
    return true
  }

  begin(
    id: string,
    version: string,
    steps: ReadonlyArray<Step>,
    original: ReadonlyMap<string, AppDef | undefined>,
    killFirst: ReadonlyMap<string, ReadonlyArray<string>> = new Map()
  ): Deployment {
    const affected = [...new Set(steps.flatMap((s) => s.map((a) => a.app)))]
    const d: Deployment = {
      id,
      version,
      steps,
      affectedApps: affected,
      original,
      killFirst,
      currentStep: 0,
      runs: [],
      held: false,
      startTimer: undefined
    }
    if (steps.length === 0) {
      this.ctx.events.emit("deployment_success", () => ({ id, plan: planJson(d) }))
      return d
    }
    this.add(d)
    d.startTimer = this.ctx.clock.schedule(0, () => this.batch(() => this.startStep(d, 1)))
    return d
  }

  cancel(d: Deployment, reason: string): void {
    if (!this.remove(d)) return
    d.startTimer?.cancel()
    for (const r of d.runs) r.cancel()
    this.ctx.events.emit("deployment_failed", () => ({ id: d.id, plan: planJson(d), reason }))
  }

  /** Called on every instance change of an app; re-entrant calls only mark the app dirty. */
  notify(appId: string): void {
    if (this.running.size === 0) return
    this.dirty.add(appId)
    this.batch(() => {})
  }

  /** Runs `fn` with change notifications deferred, then processes them until none is left. */
  private batch(fn: () => void): void {
    if (this.draining) return fn()
    this.draining = true
    try {
      fn()
      while (this.dirty.size > 0) {
        const app = this.dirty.values().next().value as string
        this.dirty.delete(app)
        const affected = this.byApp.get(app)
        if (affected === undefined) continue
        for (const d of [...affected]) {
          if (d.currentStep === 0 || !d.runs.some((r) => r.appId === app && !r.done)) continue
          for (const r of d.runs) if (r.appId === app && !r.done) r.update()
          this.checkStep(d)
        }
      }
    } finally {
      this.draining = false
    }
  }

  private startStep(d: Deployment, index: number): void {
    if (!this.running.has(d.id)) return
    d.currentStep = index
    d.runs = (d.steps[index - 1] ?? []).map((a) => this.makeRun(d, a.action, a.app))
    const rule = this.freeze
    d.held = rule !== undefined && index >= rule.atStep && (rule.appId === undefined || d.affectedApps.includes(rule.appId))
    this.ctx.events.emit("deployment_info", () => ({ plan: planJson(d), currentStep: stepJson(d) }))
    this.batch(() => {
      for (const r of d.runs) r.start()
    })
    this.checkStep(d)
  }

  private checkStep(d: Deployment): void {
    if (d.held || !this.running.has(d.id) || !d.runs.every((r) => r.done)) return
    this.ctx.events.emit("deployment_step_success", () => ({ plan: planJson(d), currentStep: stepJson(d) }))
    if (d.currentStep < d.steps.length) return this.startStep(d, d.currentStep + 1)
    this.remove(d)
    this.ctx.events.emit("deployment_success", () => ({ id: d.id, plan: planJson(d) }))
  }

  /** Lifts a freeze: held deployments continue from where they stand. */
  release(): void {
    this.freeze = undefined
    for (const d of this.list()) {
      if (!d.held) continue
      d.held = false
      for (const r of d.runs) if (!r.done) r.update()
      this.checkStep(d)
    }
  }

  private makeRun(d: Deployment, action: string, appId: string): ActionRun {
    switch (action) {
      case "ScaleApplication":
        return new ScaleRun(this.ctx, this.tasks, this.readinessPoller, appId, d.killFirst.get(appId) ?? [])
      case "RestartApplication":
        return new RestartRun(this.ctx, this.tasks, this.readinessPoller, appId)
      case "StopApplication":
        return new StopRun(this.ctx, this.tasks, appId)
      default:
        return { action, appId, done: true, start: () => {}, update: () => {}, cancel: () => {}, readiness: () => [] }
    }
  }
}
