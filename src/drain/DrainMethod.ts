// The drain-method contract (paasta-behaviour.md §5.1): four idempotent operations per task whose
// state lives outside the controller (in hacheck, the service itself, or a drain record), because
// a bounce spans many reconcile passes. Implementations: NoopDrain, TestDrain, HacheckDrain,
// HttpDrain. Limits (concurrency, timeouts, spans) are added by DrainMethods, not here.
import type { DateTime, Effect } from "effect"
import { Schema } from "effect"
import { DrainMethodName } from "../domain/Drain.ts"
import type { TaskRef } from "../plan/Action.ts"
import type { DrainRecord } from "./DrainRecord.ts"

export const DrainOperation = Schema.Literals(["drain", "stopDraining", "isDraining", "isSafeToKill"])
export type DrainOperation = typeof DrainOperation.Type

/** A drain backend failed, refused, or did not answer in time. */
export class DrainError extends Schema.TaggedError<DrainError>()("DrainError", {
  method: DrainMethodName,
  operation: DrainOperation,
  taskId: Schema.String,
  message: Schema.String
}) {}

export interface SafeToKill {
  readonly safe: boolean
  /** When the backend can tell: the moment the task becomes safe (lets the plan requeue sooner). */
  readonly safeAt?: DateTime.Utc
}

export interface DrainMethod {
  readonly name: DrainMethodName
  /** A task drained now is safe to kill in the same pass (noop; test with delay 0). */
  readonly safeOnDrain: boolean
  /** Start taking the task out of the load balancer. Idempotent. */
  readonly drain: (task: TaskRef) => Effect.Effect<void, DrainError>
  /** Put the task back into the load balancer. Idempotent. */
  readonly stopDraining: (task: TaskRef) => Effect.Effect<void, DrainError>
  /**
   * `isDraining`'s answer when the method needs no backend to give it (noop, test): a lock-free
   * look can then plan without leaving the thread. Absent: only `isDraining` can tell.
   */
  readonly drainingFromRecord?: (record: DrainRecord | undefined) => boolean
  /** Has a drain been requested and not reverted? `record` is mdeploy's own note of the request. */
  readonly isDraining: (task: TaskRef, record: DrainRecord | undefined) => Effect.Effect<boolean, DrainError>
  /** Drained long enough, or confirmed drained. */
  readonly isSafeToKill: (task: TaskRef, record: DrainRecord | undefined) => Effect.Effect<SafeToKill, DrainError>
}
