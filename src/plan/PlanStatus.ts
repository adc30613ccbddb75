// What a Plan says about the instance, for status and `rollout status`: phase, the
// Ready/Progressing/Stalled conditions with reasons, task counts and a one-line summary in the
// style of gitops-engine health messages. Pure; `lastTransitionTime` is left to the status writer,
// which knows the previous conditions.
import type { BounceMethod } from "../domain/Bounce.ts"
import type { Condition, Phase, TaskCounts } from "../domain/InstanceStatus.ts"

export type PlanCondition = Omit<Condition, "lastTransitionTime">

export interface StatusFacts {
  readonly method: BounceMethod
  readonly tearDown: boolean
  readonly paused: boolean
  readonly steady: boolean
  readonly stalled: boolean
  readonly idleSeconds: number
  readonly newAppExists: boolean
  /** An app without the MDEPLOY_MANAGED label already has the desired id. */
  readonly blocked: boolean
  readonly oldApps: number
  readonly counts: TaskCounts
}

export const phaseOf = (facts: StatusFacts): Phase => {
  if (facts.tearDown) return facts.oldApps === 0 ? "Stopped" : "Bouncing"
  if (facts.blocked || facts.stalled) return "Stalled"
  if (facts.steady) return facts.counts.desired === 0 ? "Stopped" : "Running"
  const oldTasks = facts.counts.oldHappy + facts.counts.oldUnhappy + facts.counts.draining + facts.counts.atRisk
  return facts.oldApps > 0 || oldTasks > 0 ? "Bouncing" : "Pending"
}

export const summaryOf = (facts: StatusFacts): string => {
  const c = facts.counts
  const parts = [
    `${facts.tearDown ? "tear-down" : facts.method}: ${c.happyNew}/${c.desired} new happy`,
    `${c.oldHappy} old happy`,
    `${c.oldUnhappy} old unhappy`,
    `${c.draining} draining`,
    `${c.atRisk} at risk`,
    `${facts.oldApps} old app${facts.oldApps === 1 ? "" : "s"}`
  ]
  if (!facts.tearDown && !facts.newAppExists) parts.push("new app not created yet")
  if (facts.blocked) parts.push("an app without the MDEPLOY_MANAGED label has the desired id")
  if (facts.paused) parts.push("paused")
  if (facts.stalled) parts.push(`no progress for ${Math.floor(facts.idleSeconds)}s`)
  return parts.join(", ")
}

export const conditionsOf = (facts: StatusFacts, phase: Phase, summary: string): ReadonlyArray<PlanCondition> => {
  const ready: PlanCondition = facts.steady && !facts.blocked
    ? { type: "Ready", status: "True", reason: phase, message: summary }
    : { type: "Ready", status: "False", reason: facts.paused ? "Paused" : phase, message: summary }
  const progressing: PlanCondition = facts.paused
    ? { type: "Progressing", status: "False", reason: "Paused", message: "spec.paused is true: no action is taken" }
    : facts.blocked
    ? { type: "Progressing", status: "False", reason: "UnmanagedAppConflict", message: summary }
    : facts.stalled
    ? { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: summary }
    : facts.steady
    ? { type: "Progressing", status: "False", reason: "Complete", message: summary }
    : { type: "Progressing", status: "True", reason: facts.newAppExists ? phase : "NewAppPending", message: summary }
  const stalled: PlanCondition = facts.stalled || facts.blocked
    ? {
      type: "Stalled",
      status: "True",
      reason: facts.blocked ? "UnmanagedAppConflict" : "ProgressDeadlineExceeded",
      message: summary
    }
    : { type: "Stalled", status: "False", reason: facts.steady ? "Steady" : "Progressing", message: summary }
  return [ready, progressing, stalled]
}
