// What carrying out a plan came to (Executor.ts): how far it got, why it stopped early, and when
// the instance is looked at again. Data and one pure rule, read by the Executor and by PassEnd.
import type { ActionType } from "../plan/Action.ts"
import { bounceAgainSeconds } from "../plan/Plan.ts"

/** A locked app is usually free again within seconds (the deployment finishes or is replaced). */
export const lockedRequeueSeconds = 15
/** An unconfirmed destructive action is looked at again soon, with a fresh read. */
export const unconfirmedRequeueSeconds = 5
/** An app of ours found by a create that met 409: look at it again at once. */
export const adoptedRequeueSeconds = 1
/**
 * A kill held back by a drain delay still counting down on etcd. Not sooner: after an etcd leader
 * election every countdown starts again in full, and each instance in a bounce would otherwise
 * pass (and read etcd) every second until they end.
 */
export const delayCountingRequeueSeconds = 5

export interface Interruption {
  readonly action: ActionType
  /**
   * AlreadyExists: the id is taken by an app that is not ours. Adopted: it is ours (an earlier
   * create went through). Unconfirmed: a fresh read of the app contradicted the plan.
   * DelayCounting: a kill came before the drain delay's countdown on the store's clock ended.
   */
  readonly reason: "AlreadyExists" | "Adopted" | "DeploymentLocked" | "Unconfirmed" | "DelayCounting"
  readonly appId: string | undefined
  readonly message?: string
}

export interface DrainFailure {
  readonly taskId: string
  readonly operation: "drain" | "stopDraining"
  readonly message: string
}

export interface ExecutionResult {
  /** The plan's requeue, or a forced one when the pass was interrupted. */
  readonly requeueAfterSeconds: number | undefined
  /** Set when the pass stopped early; the actions after it were not run. */
  readonly interrupted: Interruption | undefined
  /** Actions carried out (the interrupting one excluded). */
  readonly completed: number
  readonly drainFailures: ReadonlyArray<DrainFailure>
  /** Tasks killed because their drain failed and spec.drain.onError is "kill". */
  readonly killedOnDrainError: ReadonlyArray<string>
}

/** When to come back to an instance whose pass was interrupted. */
export const requeueFor = (interruption: Interruption): number => {
  switch (interruption.reason) {
    case "AlreadyExists":
      return bounceAgainSeconds
    case "Adopted":
      return adoptedRequeueSeconds
    case "DeploymentLocked":
      return lockedRequeueSeconds
    case "Unconfirmed":
      return unconfirmedRequeueSeconds
    case "DelayCounting":
      return delayCountingRequeueSeconds
  }
}
