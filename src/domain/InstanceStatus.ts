// `status` of a ServiceInstance: written by the controller leader only, never by users.
import { Schema } from "effect"
import { Drain } from "./Drain.ts"

/** CleanupRefused: the spec is gone but the deletion budget keeps its apps (design.md §11). */
export const Phase = Schema.Literals(["Pending", "Bouncing", "Running", "Stopped", "Stalled", "Invalid", "CleanupRefused"])
export type Phase = typeof Phase.Type

export const ConditionType = Schema.Literals(["Ready", "Progressing", "Stalled"])
export type ConditionType = typeof ConditionType.Type

export const Condition = Schema.Struct({
  type: ConditionType,
  status: Schema.Literals(["True", "False", "Unknown"]),
  reason: Schema.String,
  message: Schema.String,
  lastTransitionTime: Schema.String
})
export type Condition = typeof Condition.Type

export const TaskCounts = Schema.Struct({
  desired: Schema.Int,
  happyNew: Schema.Int,
  oldHappy: Schema.Int,
  oldUnhappy: Schema.Int,
  draining: Schema.Int,
  atRisk: Schema.Int
})
export type TaskCounts = typeof TaskCounts.Type

export const ReconcileResult = Schema.Literals(["Done", "RequeueAfter", "Error", "Invalid", "LockHeld"])
export type ReconcileResult = typeof ReconcileResult.Type

export const LastReconcile = Schema.Struct({
  at: Schema.String,
  traceId: Schema.optionalKey(Schema.String),
  result: ReconcileResult,
  error: Schema.optionalKey(Schema.String)
})

/** The best bounce position seen so far; the Stalled verdict compares against it. */
export const ProgressMarkStatus = Schema.Struct({
  at: Schema.String,
  appId: Schema.String,
  happyNew: Schema.Int,
  remainingOld: Schema.Int,
  /** Marked while steady or paused (no deadline runs). */
  idle: Schema.optionalKey(Schema.Boolean)
})
export type ProgressMarkStatus = typeof ProgressMarkStatus.Type

export const InstanceStatus = Schema.Struct({
  observedGeneration: Schema.optionalKey(Schema.Int),
  appId: Schema.optionalKey(Schema.String),
  /** The Marathon shard the instance lives on (absent: the default shard of an installation without shards). */
  shard: Schema.optionalKey(Schema.String),
  phase: Schema.optionalKey(Phase),
  conditions: Schema.optionalKey(Schema.Array(Condition)),
  tasks: Schema.optionalKey(TaskCounts),
  lastReconcile: Schema.optionalKey(LastReconcile),
  summary: Schema.optionalKey(Schema.String),
  progress: Schema.optionalKey(ProgressMarkStatus),
  /** The drain method last in force: a deleted spec's tasks are drained with it before they go. */
  drain: Schema.optionalKey(Drain),
  /** Marathon's newest task failure of the app being rolled out: why its tasks may not come up. */
  lastTaskFailure: Schema.optionalKey(Schema.Struct({
    appId: Schema.String,
    taskId: Schema.String,
    state: Schema.String,
    message: Schema.String,
    at: Schema.String,
    host: Schema.String
  }))
}).annotate({ title: "InstanceStatus", description: "Written by the controller; read-only for users" })
export type InstanceStatus = typeof InstanceStatus.Type
