// Everything the planner needs to know about drains and progress, given as data: the answers the
// drain method gave for each task this pass (asked by DrainProbe before planning), the persisted
// drain records, and the persisted progress mark behind the Stalled verdict. Pure types and
// helpers; nothing here talks to a drain backend.
import type { DateTime } from "effect"
import type { ResolvedSpec } from "../domain/ResolvedSpec.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"

export type DrainConfig = ResolvedSpec["drain"]

/** One task's answers; "error" when the drain backend failed or timed out. */
export interface TaskDrainAnswer {
  readonly draining: boolean | "error"
  /** Asked only for draining tasks; undefined when not asked. */
  readonly safeToKill?: boolean | "error"
  /** When the backend can tell (test, hacheck): the moment the task becomes safe to kill. */
  readonly safeAt?: DateTime.Utc
}

/**
 * Best bounce position seen so far. Progress = a new desired app id, more happy new tasks than
 * the mark, or fewer remaining old tasks than the mark; a dip and recovery is not progress.
 */
export interface ProgressMark {
  readonly at: DateTime.Utc
  readonly appId: string
  readonly happyNew: number
  readonly remainingOld: number
  /** Marked while steady or paused: the deadline clock starts afresh when a bounce begins. */
  readonly idle?: boolean
}

export interface DrainState {
  /** The drain config the answers came from (spec.drain; for a teardown whatever the caller chose). */
  readonly drain: DrainConfig
  /** A task drained in this pass is safe to kill in the same pass (noop; test with delay 0). */
  readonly safeOnDrain: boolean
  readonly answers: ReadonlyMap<string, TaskDrainAnswer>
  readonly records: ReadonlyMap<string, DrainRecord>
  readonly progress: ProgressMark | undefined
}

/** The drain config used when nothing else is known (instance deleted, no records): noop. */
export const noopDrain: DrainConfig = { method: "noop", onError: "retry", timeoutSeconds: 15 }

/** A DrainState with no answers: no task is draining, drains are safe at once only for noop. */
export const emptyDrainState = (drain: DrainConfig = noopDrain): DrainState => ({
  drain,
  safeOnDrain: drain.method === "noop",
  answers: new Map(),
  records: new Map(),
  progress: undefined
})
