import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Layer, Option, Schedule } from "effect"
import type { Duration, Scope } from "effect"
import { Owner } from "../../src/controller/Owner.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { planStep } from "../../src/controller/PlanStep.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonClient } from "../../src/marathon/MarathonClient.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import { MesosMaintenance } from "../../src/marathon/MesosMaintenance.ts"
import type { MarathonError } from "../../src/marathon/MarathonError.ts"
import type { ProgressMark } from "../../src/plan/DrainState.ts"
import { observedInstance } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import type { RunningSim, SimOptions } from "../../src/sim/MarathonSim.ts"
import { make as makeSim } from "../../src/sim/MarathonSim.ts"

// Drives the real client, drain probe, planner and executor against the Marathon emulator over
// HTTP, the way the reconciler will: list → probe → plan → execute, one pass at a time, with the
// emulator's virtual clock as "now" (sleeps, timeouts and retry delays stay real).

export const fastRetry = Schedule.exponential("20 millis").pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 5 }),
  Schedule.setInputType<MarathonError>(),
  Schedule.while(({ input }) => input.retryable)
)

/**
 * The Effect clock reads the emulator's virtual time, as wall and as monotonic clock: virtual time
 * only moves forward, and a drain delay counted on both (DelayWitness.ts) must see them agree.
 */
const simClock = (running: RunningSim, base: Clock.Clock): Clock.Clock => {
  const millis = () => running.sim.ctx.clock.now()
  return {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(millis()) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) => base.sleep(duration)
  }
}

type Services = MarathonClient | Executor | DrainRecords | DrainMethods | MesosMaintenance | Owner

export interface Harness {
  readonly sim: RunningSim
  /** Runs an effect with the harness services and the emulator's clock. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.Effect<A, E>
}

export const harness = (
  options: Partial<SimOptions> = {},
  client: { readonly requestTimeout?: Duration.Input } = {}
): Effect.Effect<Harness, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const sim = yield* makeSim({ clock: "virtual", agents: 12, ...options })
    const base = yield* Clock.Clock
    const marathon = MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonClient.layerNoDeps({
      urls: [sim.url],
      retrySchedule: fastRetry,
      requestTimeout: client.requestTimeout ?? "5 seconds"
    })))
    const drains = Layer.mergeAll(DrainMethods.layer, DrainRecords.layerMemory)
    const maintenance = MesosMaintenance.layerNoDeps({ url: sim.url })
    const layer = Executor.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(marathon, drains, maintenance, Owner.layer({ owner: "test", adoptUnowned: true }))),
      Layer.provide(NodeHttpClient.layerUndici)
    )
    const context = yield* Layer.build(layer)
    const clock = simClock(sim, base)
    return {
      sim,
      run: (effect) => effect.pipe(Effect.provide(context), Effect.provideService(Clock.Clock, clock))
    } satisfies Harness
  })

export interface PassResult {
  readonly plan: Plan.Plan
  readonly interrupted: string | undefined
}

/** One reconcile pass for one instance; `progress` carries the Stalled mark between passes. */
export const reconcileOnce = (name: InstanceName, desired: Option.Option<ResolvedSpec>, progress: ProgressMark | undefined) =>
  Effect.gen(function*() {
    const apps = yield* (yield* MarathonClient).listApps
    const observed = observedInstance(name, apps, yield* (yield* MesosMaintenance).drainingHosts)
    // The reconciler's own planning step; a deleted instance here never had a drain recorded.
    const { plan } = yield* planStep({ observed, spec: desired, lastDrain: { method: "noop" }, progress })
    const result = yield* (yield* Executor).run(plan)
    return { plan, interrupted: result.interrupted?.reason } satisfies PassResult
  })

export interface ConvergeResult {
  readonly passes: ReadonlyArray<PassResult>
  readonly converged: boolean
}

/**
 * Reconciles until a pass plans nothing and needs no requeue, advancing the emulator's clock by
 * `stepMs` between passes; gives up after `maxPasses`.
 */
export const converge = (
  h: Harness,
  name: InstanceName,
  desired: Option.Option<ResolvedSpec>,
  options: { readonly maxPasses?: number; readonly stepMs?: number } = {}
) =>
  Effect.gen(function*() {
    const passes: Array<PassResult> = []
    let progress: ProgressMark | undefined
    for (let i = 0; i < (options.maxPasses ?? 60); i++) {
      const pass = yield* h.run(reconcileOnce(name, desired, progress))
      passes.push(pass)
      progress = pass.plan.progress
      const done = pass.plan.actions.length === 0 && pass.plan.requeueAfterSeconds === undefined && pass.interrupted === undefined
      if (done) return { passes, converged: true } satisfies ConvergeResult
      h.sim.advance(options.stepMs ?? 500)
    }
    return { passes, converged: false } satisfies ConvergeResult
  })
