import { DateTime } from "effect"
import fc from "fast-check"
import type { BounceMethod } from "../../src/domain/Bounce.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import type { DrainConfig, DrainState, TaskDrainAnswer } from "../../src/plan/DrainState.ts"
import type { ObservedApp, ObservedInstance, ObservedTask } from "../../src/plan/Observed.ts"
import { at, managedLabels, name, newId, oldId, spec } from "./Fixtures.ts"

// Random but well-formed planning inputs: one instance with an optional new app, up to three old
// apps (some unmanaged), tasks in every state, and drain answers of every kind.

export interface PlanInput {
  readonly desired: ResolvedSpec
  readonly observed: ObservedInstance
  readonly drainState: DrainState
}

const taskArb = fc.record({
  started: fc.boolean(),
  startedAgo: fc.integer({ min: 0, max: 4000 }),
  state: fc.constantFrom("TASK_RUNNING", "TASK_RUNNING", "TASK_RUNNING", "TASK_STAGING", "TASK_UNREACHABLE", "TASK_KILLING"),
  health: fc.constantFrom<ReadonlyArray<boolean>>([], [true], [false], [true, false]),
  maintenance: fc.boolean(),
  draining: fc.constantFrom<boolean | "error">(false, false, true, "error"),
  safe: fc.constantFrom<boolean | "error">(true, false, "error")
})

const appArb = fc.record({
  tasks: fc.array(taskArb, { maxLength: 7 }),
  slack: fc.integer({ min: -2, max: 3 }),
  managed: fc.constantFrom(true, true, true, false),
  healthChecked: fc.boolean()
})

export const planInputArb = (methods: ReadonlyArray<BounceMethod> = ["crossover", "upthendown", "downthenup", "brutal", "down"]) =>
  fc.record({
    method: fc.constantFrom(...methods),
    instances: fc.integer({ min: 0, max: 8 }),
    marginFactor: fc.constantFrom(1, 0.95, 0.66, 0.5, 0.25),
    newApp: fc.option(appArb, { nil: undefined }),
    oldApps: fc.array(appArb, { maxLength: 3 }),
    drain: fc.constantFrom<DrainConfig>(
      { method: "noop", onError: "retry", timeoutSeconds: 15 },
      { method: "hacheck", onError: "retry", timeoutSeconds: 15 },
      { method: "hacheck", onError: "kill", timeoutSeconds: 15 }
    )
  }).map(({ method, instances, marginFactor, newApp, oldApps, drain }): PlanInput => {
    const desired = spec({ cmd: "serve", instances, bounce: { method, marginFactor } })
    const answers = new Map<string, TaskDrainAnswer>()
    const build = (id: string, shape: typeof appArb extends fc.Arbitrary<infer A> ? A : never, version: number): ObservedApp => {
      const tasks: Array<ObservedTask> = shape.tasks.map((t, i) => {
        const taskId = `${id.slice(1)}.instance-${String(i).padStart(4, "0")}._app.1`
        answers.set(taskId, { draining: t.draining, ...(t.draining === true ? { safeToKill: t.safe } : {}) })
        const running = t.started && t.state !== "TASK_STAGING"
        return {
          id: taskId,
          appId: id,
          host: t.maintenance ? "maint-1" : `agent-${i}`,
          ports: [31000 + i],
          state: running ? t.state : "TASK_STAGING",
          stagedAt: at(-t.startedAgo - 1),
          startedAt: running ? at(-t.startedAgo) : undefined,
          healthCheckResults: running ? t.health.map((alive) => ({ alive })) : []
        }
      })
      return {
        id,
        instances: Math.max(0, tasks.length + shape.slack),
        labels: shape.managed ? managedLabels : {},
        version: DateTime.formatIso(at(version * 1000)),
        healthCheck: shape.healthChecked ? { gracePeriodSeconds: 60, intervalSeconds: 10 } : undefined,
        tasks,
        deployments: []
      }
    }
    const apps = [
      ...oldApps.map((shape, i) => build(oldId(i + 1), shape, i)),
      ...(newApp === undefined ? [] : [build(newId(desired), newApp, 10)])
    ]
    return {
      desired,
      observed: { name, apps, drainingHosts: new Set(["maint-1"]) },
      drainState: { drain, safeOnDrain: drain.method === "noop", answers, records: new Map(), progress: undefined }
    }
  })
