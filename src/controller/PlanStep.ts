// The one "observe → probe → plan" step: given what Marathon shows of an instance, ask its drain
// method about every task and let the pure planner decide. The reconciler, `mdeploy diff` and the
// bounce tests over HTTP all plan through here, so what a preview or a test shows is what a
// reconcile would do — including a deleted instance's drain (the method its status last recorded).
import { DateTime, Effect, Option } from "effect"
import type { Drain } from "../domain/Drain.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"
import { resolveDrain } from "../domain/ResolvedSpec.ts"
import type { ResolvedSpec } from "../domain/ResolvedSpec.ts"
import { probe } from "../drain/DrainProbe.ts"
import type { ProgressMark } from "../plan/DrainState.ts"
import type { ObservedInstance } from "../plan/Observed.ts"
import * as Plan from "../plan/Plan.ts"

export interface PlanStepInput {
  readonly observed: ObservedInstance
  /** The spec to reach; None when the instance's spec is gone (tear it down). */
  readonly spec: Option.Option<ResolvedSpec>
  /** The drain method last in force (status.drain): how a deleted spec's tasks are drained. */
  readonly lastDrain: Drain | undefined
  /** The best bounce position seen so far (status.progress), for the Stalled verdict. */
  readonly progress: ProgressMark | undefined
  /** The drain records as a watch-fed cache holds them (a lock-free look); absent: read etcd. */
  readonly records?: ReadonlyMap<string, DrainRecord>
  /** The drain records just read from etcd by the caller (alongside Marathon); stale ones are removed. */
  readonly readRecords?: ReadonlyMap<string, DrainRecord>
}

export const planStep = Effect.fnUntraced(function*(input: PlanStepInput) {
  const drain = Option.match(input.spec, { onNone: () => resolveDrain(input.lastDrain), onSome: (spec) => spec.drain })
  const drainState = yield* probe(input.observed, drain, input.progress, input.records, input.readRecords)
  const now = DateTime.toUtc(yield* DateTime.now)
  // Given first, withSpan takes the options as they are: no stack captured for the span, on every pass.
  const plan = yield* Effect.withSpan(Effect.sync(() => Plan.make(input.spec, input.observed, drainState, now)), "Plan.make", {
    attributes: { "mdeploy.instance": input.observed.name },
    captureStackTrace: false
  })
  return { plan, now }
})
