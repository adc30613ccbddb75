// How a pass that planned ends, once its plan was carried out (or had nothing to do): the status
// it leaves and the outcome it reports. Pure, so the lock-free look of an idle pass and the pass
// under the lock decide "has anything changed?" the same way.
import type { DateTime } from "effect"
import type { Drain } from "../domain/Drain.ts"
import type { InstanceStatus, ReconcileResult } from "../domain/InstanceStatus.ts"
import type { ObservedInstance } from "../plan/Observed.ts"
import type { Plan } from "../plan/Plan.ts"
import type { ExecutionResult } from "./ExecutionResult.ts"
import type { Outcome } from "./Outcome.ts"
import { nextStatus } from "./StatusUpdate.ts"

export interface PassEndInput {
  readonly previous: InstanceStatus | undefined
  readonly plan: Plan
  readonly observed: ObservedInstance
  /** The spec's generation; for a deleted spec, the last one observed. */
  readonly generation: number
  /** The drain method in force, kept in status to drain a deleted spec's tasks later. */
  readonly drain: Drain | undefined
  readonly executed: Pick<ExecutionResult, "requeueAfterSeconds" | "drainFailures" | "interrupted">
  readonly now: DateTime.Utc
  readonly traceId: string | undefined
}

export const passEnd = (input: PassEndInput): { readonly status: InstanceStatus; readonly outcome: Outcome<never> } => {
  const { executed, plan } = input
  const requeue = executed.requeueAfterSeconds
  const result: ReconcileResult = requeue === undefined ? "Done" : "RequeueAfter"
  const problems = [
    ...(executed.drainFailures.length === 0
      ? []
      : [`${executed.drainFailures.length} drain call(s) failed: ${executed.drainFailures[0]?.message ?? ""}`]),
    ...(executed.interrupted?.message === undefined ? [] : [executed.interrupted.message])
  ]
  const status = nextStatus({
    previous: input.previous,
    plan,
    generation: input.generation,
    result,
    error: problems.length === 0 ? undefined : problems.join("; "),
    now: input.now,
    traceId: input.traceId
  })
  // Why the new app's tasks may not come up, from Marathon itself (kept while that app is the target).
  const failure = input.observed.apps.find((app) => app.id === plan.appId)?.lastTaskFailure
  const withFailure: InstanceStatus = failure === undefined || plan.appId === undefined
    ? status
    : { ...status, lastTaskFailure: { appId: plan.appId, ...failure } }
  const withDrain: InstanceStatus = input.drain === undefined ? withFailure : { ...withFailure, drain: input.drain }
  const problem = problems.length === 0 ? {} : { problem: problems.join("; ") }
  const outcome: Outcome<never> = requeue === undefined
    ? { _tag: "Done", plan }
    : { _tag: "RequeueAfter", seconds: requeue, reason: plan.summary, plan, ...problem }
  return { status: withDrain, outcome }
}
