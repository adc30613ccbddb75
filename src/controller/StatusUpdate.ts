// Pure: the status a reconcile pass leaves behind, and whether it differs from what is stored.
// Conditions keep their lastTransitionTime until their status flips (Kubernetes convention);
// lastReconcile's time and trace id alone never count as a change, so a steady instance costs no
// etcd write per resync.
import { DateTime } from "effect"
import { sameJson } from "../domain/SameJson.ts"
import type { Condition, InstanceStatus, ReconcileResult } from "../domain/InstanceStatus.ts"
import type { ProgressMark } from "../plan/DrainState.ts"
import type { Plan } from "../plan/Plan.ts"

export interface PassFacts {
  readonly previous: InstanceStatus | undefined
  /** The plan of this pass; undefined when the pass failed before planning. */
  readonly plan: Plan | undefined
  readonly generation: number
  readonly result: ReconcileResult
  readonly error: string | undefined
  readonly now: DateTime.Utc
  readonly traceId: string | undefined
}

const mergeConditions = (
  previous: ReadonlyArray<Condition>,
  next: Plan["conditions"],
  nowIso: string
): ReadonlyArray<Condition> =>
  next.map((condition) => {
    const before = previous.find((old) => old.type === condition.type)
    const lastTransitionTime = before !== undefined && before.status === condition.status ? before.lastTransitionTime : nowIso
    return { ...condition, lastTransitionTime }
  })

export const progressToStatus = (mark: ProgressMark): NonNullable<InstanceStatus["progress"]> => ({
  at: DateTime.formatIso(mark.at),
  appId: mark.appId,
  happyNew: mark.happyNew,
  remainingOld: mark.remainingOld,
  ...(mark.idle === true ? { idle: true } : {})
})

export const progressFromStatus = (status: InstanceStatus | undefined): ProgressMark | undefined => {
  const stored = status?.progress
  if (stored === undefined) return undefined
  const at = DateTime.make(stored.at)
  return at._tag === "Some"
    ? {
      at: DateTime.toUtc(at.value),
      appId: stored.appId,
      happyNew: stored.happyNew,
      remainingOld: stored.remainingOld,
      ...(stored.idle === true ? { idle: true } : {})
    }
    : undefined
}

export const nextStatus = (facts: PassFacts): InstanceStatus => {
  const nowIso = DateTime.formatIso(facts.now)
  const previous = facts.previous ?? {}
  const lastReconcile = {
    at: nowIso,
    result: facts.result,
    ...(facts.traceId === undefined ? {} : { traceId: facts.traceId }),
    ...(facts.error === undefined ? {} : { error: facts.error })
  }
  const plan = facts.plan
  if (plan === undefined) {
    // The pass failed before planning: keep what we knew, record the failure.
    return { ...previous, lastReconcile }
  }
  return {
    observedGeneration: facts.generation,
    ...(plan.appId === undefined ? {} : { appId: plan.appId }),
    ...(plan.shard === undefined ? {} : { shard: plan.shard }),
    phase: plan.phase,
    conditions: mergeConditions(previous.conditions ?? [], plan.conditions, nowIso),
    tasks: plan.tasks,
    summary: plan.summary,
    progress: progressToStatus(plan.progress),
    lastReconcile
  }
}

/**
 * Whether a status differs in anything but lastReconcile.at and lastReconcile.traceId. Compared as
 * JSON documents (key order and undefined members do not count), member by member: every pass
 * asks this, so it builds no copies and no JSON text.
 */
export const statusChanged = (before: InstanceStatus | undefined, after: InstanceStatus): boolean => {
  if (before === undefined) return true
  const { lastReconcile: was, ...restBefore } = before
  const { lastReconcile: is, ...restAfter } = after
  if ((was === undefined) !== (is === undefined)) return true
  if (was !== undefined && is !== undefined && !(sameJson(was.result, is.result) && sameJson(was.error, is.error))) return true
  return !sameJson(restBefore, restAfter)
}
