// A pure, deterministic model of Marathon + a drain backend for driving Plan.make step by step:
// apps launch tasks up to `instances`, tasks start and turn healthy after scripted delays, drains
// become safe after scripted delays, and every plan's actions are applied to the model.
import { DateTime, Option } from "effect"
import { capacityFloor } from "../../src/bounce/Crossover.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import type { DrainRecord } from "../../src/drain/DrainRecord.ts"
import type { DrainConfig, DrainState, ProgressMark, TaskDrainAnswer } from "../../src/plan/DrainState.ts"
import { noopDrain } from "../../src/plan/DrainState.ts"
import type { ObservedApp, ObservedInstance, ObservedTask } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"

export interface SimTask {
  readonly id: string
  readonly seq: number
  readonly host: string
  readonly stagedAt: number
  readonly startAt: number
  /** Undefined: never healthy. */
  readonly healthyAt: number | undefined
}

export interface SimApp {
  readonly id: string
  instances: number
  readonly labels: Record<string, string>
  readonly version: string
  readonly healthChecked: boolean
  tasks: Array<SimTask>
}

export interface SimOptions {
  readonly name: InstanceName
  /** "noop": drains are instant; "delayed": a drained task is safe after `drainDelay(seq)` seconds. */
  readonly drain: "noop" | "delayed"
  readonly startSeconds?: number
  /** Seconds from start until the task passes its health check; undefined = never. */
  readonly healthDelay: (seq: number) => number | undefined
  readonly drainDelay: (seq: number) => number
  readonly stepSeconds: number
  readonly hostOf?: (seq: number) => string
  readonly drainingHosts?: ReadonlyArray<string>
}

export interface StepResult {
  readonly plan: Plan.Plan
  /** Happy-or-undrained tasks before the plan: happy new + old not draining (any health). */
  readonly inLbBefore: number
  /** The same after this plan's drains and kills. */
  readonly inLbAfter: number
}

const epoch = DateTime.toEpochMillis(DateTime.makeUnsafe("2024-05-01T12:00:00.000Z"))

export class BounceSim {
  now = epoch
  apps: Array<SimApp> = []
  readonly records = new Map<string, DrainRecord>()
  progress: ProgressMark | undefined = undefined
  private seq = 0
  private versions = 0

  readonly options: SimOptions

  constructor(options: SimOptions) {
    this.options = options
  }

  /** Adds an app whose `count` tasks have been up and healthy for an hour. */
  seedApp(id: string, count: number, healthChecked = true): SimApp {
    const app: SimApp = {
      id,
      instances: count,
      labels: { MDEPLOY_MANAGED: "true" },
      version: this.nextVersion(),
      healthChecked,
      tasks: []
    }
    for (let i = 0; i < count; i++) {
      const seq = ++this.seq
      app.tasks.push({
        id: this.taskId(id, seq),
        seq,
        host: this.hostOf(seq),
        stagedAt: this.now - 3_600_000,
        startAt: this.now - 3_600_000,
        healthyAt: this.now - 3_590_000
      })
    }
    this.apps.push(app)
    return app
  }

  private nextVersion() {
    this.versions += 1
    return new Date(epoch + this.versions * 1000).toISOString()
  }
  private taskId(appId: string, seq: number) {
    return `${appId.slice(1)}.instance-${String(seq).padStart(8, "0")}._app.1`
  }
  private hostOf(seq: number) {
    return this.options.hostOf?.(seq) ?? `agent-${seq % 5}`
  }

  /** Marathon's side: start tasks for unlaunched slots. */
  private launch() {
    for (const app of this.apps) {
      while (app.tasks.length < app.instances) {
        const seq = ++this.seq
        const startAt = this.now + (this.options.startSeconds ?? 2) * 1000
        const delay = app.labels["SIM_NEVER_HEALTHY"] === "true" ? undefined : this.options.healthDelay(seq)
        app.tasks.push({
          id: this.taskId(app.id, seq),
          seq,
          host: this.hostOf(seq),
          stagedAt: this.now,
          startAt,
          healthyAt: delay === undefined ? undefined : startAt + delay * 1000
        })
      }
    }
  }

  observe(): ObservedInstance {
    const toTask = (app: SimApp, task: SimTask): ObservedTask => {
      const started = this.now >= task.startAt
      const healthy = task.healthyAt !== undefined && this.now >= task.healthyAt
      return {
        id: task.id,
        appId: app.id,
        host: task.host,
        ports: [31000 + task.seq],
        state: started ? "TASK_RUNNING" : "TASK_STAGING",
        stagedAt: DateTime.makeUnsafe(task.stagedAt),
        startedAt: started ? DateTime.makeUnsafe(task.startAt) : undefined,
        healthCheckResults: app.healthChecked && started ? [{ alive: healthy }] : []
      }
    }
    const apps: Array<ObservedApp> = this.apps.map((app) => ({
      id: app.id,
      instances: app.instances,
      labels: app.labels,
      version: app.version,
      healthCheck: app.healthChecked ? { gracePeriodSeconds: 60, intervalSeconds: 10 } : undefined,
      tasks: app.tasks.map((task) => toTask(app, task)),
      deployments: []
    }))
    return { name: this.options.name, apps, drainingHosts: new Set(this.options.drainingHosts ?? []) }
  }

  drainState(drain: DrainConfig): DrainState {
    const answers = new Map<string, TaskDrainAnswer>()
    if (this.options.drain === "delayed") {
      for (const app of this.apps) {
        for (const task of app.tasks) {
          const record = this.records.get(task.id)
          if (record === undefined) {
            answers.set(task.id, { draining: false })
            continue
          }
          const safeAt = DateTime.toEpochMillis(record.requestedAt) + this.options.drainDelay(task.seq) * 1000
          answers.set(task.id, { draining: true, safeToKill: this.now >= safeAt, safeAt: DateTime.makeUnsafe(safeAt) })
        }
      }
    }
    return {
      drain: this.options.drain === "noop" ? drain : { method: "test", onError: "retry", timeoutSeconds: 15 },
      safeOnDrain: this.options.drain === "noop",
      answers,
      records: new Map(this.records),
      progress: this.progress
    }
  }

  /** One reconcile pass: launch, observe, plan, apply, then let `stepSeconds` pass. */
  step(desired: Option.Option<ResolvedSpec>): StepResult {
    this.launch()
    const spec = Option.getOrUndefined(desired)
    const drainState = this.drainState(spec?.drain ?? noopDrain)
    const plan = Plan.make(desired, this.observe(), drainState, DateTime.makeUnsafe(this.now))
    const inLbBefore = plan.tasks.happyNew + plan.tasks.oldHappy + plan.tasks.oldUnhappy + plan.tasks.atRisk
    const drainedNow = new Set<string>()
    const killed = new Set<string>()
    for (const action of plan.actions) {
      switch (action.type) {
        case "createApp": {
          const definition = action.definition
          this.apps.push({
            id: action.appId,
            instances: definition["instances"] as number,
            labels: definition["labels"] as Record<string, string>,
            version: this.nextVersion(),
            healthChecked: (definition["healthChecks"] as ReadonlyArray<unknown>).length > 0,
            tasks: []
          })
          break
        }
        case "scaleApp": {
          const app = this.apps.find((candidate) => candidate.id === action.appId)
          if (app !== undefined) app.instances = action.instances
          break
        }
        case "drainTasks":
          for (const task of action.tasks) {
            drainedNow.add(task.id)
            if (!this.records.has(task.id)) {
              this.records.set(task.id, { requestedAt: DateTime.makeUnsafe(this.now), method: "test", appId: task.appId })
            }
          }
          break
        case "stopDraining":
          for (const task of action.tasks) this.records.delete(task.id)
          break
        case "killTasks":
          for (const ref of action.tasks) {
            killed.add(ref.id)
            this.records.delete(ref.id)
            const app = this.apps.find((candidate) => candidate.id === ref.appId)
            if (app === undefined) continue
            app.tasks = app.tasks.filter((task) => task.id !== ref.id)
            app.instances = Math.max(0, app.instances - 1)
          }
          break
        case "deleteApp":
          this.apps = this.apps.filter((app) => app.id !== action.appId)
          break
      }
    }
    const leaving = [...new Set([...drainedNow, ...killed])].filter((id) => drainState.answers.get(id)?.draining !== true)
    const inLbAfter = inLbBefore - leaving.length
    this.progress = plan.progress
    // Marathon reacts between passes: new slots get tasks right away.
    this.launch()
    this.now += this.options.stepSeconds * 1000
    return { plan, inLbBefore, inLbAfter }
  }

  /** Runs passes until `done` holds after a pass, or `maxSteps` passes; returns every step. */
  run(desired: Option.Option<ResolvedSpec>, maxSteps: number, done: (sim: BounceSim, step: StepResult) => boolean) {
    const steps: Array<StepResult> = []
    for (let i = 0; i < maxSteps; i++) {
      const result = this.step(desired)
      steps.push(result)
      if (done(this, result)) return { converged: true, steps }
    }
    return { converged: false, steps }
  }
}

/** The crossover availability floor for a spec. */
export const floorOf = (spec: ResolvedSpec) => capacityFloor(spec.desiredInstances, spec.bounce.marginFactor)
