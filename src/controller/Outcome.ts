// How one reconcile pass ended, as a closed union, and what the work queue does about it. The
// controller reads an outcome the way controller-runtime's reconcileHandler reads a Result and an
// error: done (forget the key's backoff), requeue after a delay (with the reason), the instance's
// lock held elsewhere (come back soon), or failed — retried with per-key backoff, or terminal
// (nothing a retry can fix: the key waits for its spec to change). Errors keep their types up to
// the controller and the CLI; only the status record and log lines turn them into text.
import { Data, Duration, Effect } from "effect"
import type { ReconcileResult } from "../domain/InstanceStatus.ts"
import type { Plan } from "../plan/Plan.ts"
import type { WorkQueue } from "./WorkQueueContract.ts"

/** The stored spec cannot be used (undecodable, or denied by the field policy): phase Invalid. */
export class InvalidSpec extends Data.TaggedError("InvalidSpec")<{ readonly message: string }> {}

export type Outcome<E = unknown> =
  | { readonly _tag: "Done"; readonly plan?: Plan }
  | {
    readonly _tag: "RequeueAfter"
    readonly seconds: number
    /** Why the instance is looked at again: the plan's summary, or what held it back. */
    readonly reason: string
    readonly plan?: Plan
    /** A problem met on the way that did not fail the pass (a drain call, a refused tear-down). */
    readonly problem?: string
  }
  | { readonly _tag: "LockHeld"; readonly holder: string; readonly seconds: number }
  | { readonly _tag: "Failed"; readonly terminal: boolean; readonly error: E | InvalidSpec; readonly message: string }

/** The `lastReconcile.result` and `reconcile -o json` word for an outcome (design.md §5). */
export const resultOf = (outcome: Outcome): ReconcileResult => {
  switch (outcome._tag) {
    case "Done":
    case "RequeueAfter":
    case "LockHeld":
      return outcome._tag
    case "Failed":
      return outcome.error instanceof InvalidSpec ? "Invalid" : "Error"
  }
}

/** The outcome's error text, when it has one: a failure, a held lock or a problem met. */
export const messageOfOutcome = (outcome: Outcome): string | undefined => {
  switch (outcome._tag) {
    case "Done":
      return undefined
    case "RequeueAfter":
      return outcome.problem
    case "LockHeld":
      return `lock held by ${outcome.holder}`
    case "Failed":
      return outcome.message
  }
}

/** What the work queue does with the key after a pass. */
export type QueueVerdict =
  /** Reset the key's backoff; come back after `afterSeconds` when set, else on the next event. */
  | { readonly _tag: "Forget"; readonly afterSeconds?: number }
  /** Keep the backoff and come back after a fixed delay (the lock's holder is busy). */
  | { readonly _tag: "After"; readonly seconds: number }
  /** Back off per key (exponential), the failure is worth retrying. */
  | { readonly _tag: "RateLimited" }

export const queueVerdict = (outcome: Outcome): QueueVerdict => {
  switch (outcome._tag) {
    case "Done":
      return { _tag: "Forget" }
    case "RequeueAfter":
      return { _tag: "Forget", afterSeconds: outcome.seconds }
    case "LockHeld":
      return { _tag: "After", seconds: outcome.seconds }
    case "Failed":
      // Terminal: retrying cannot help; the spec watch brings the key back once it is edited.
      return outcome.terminal ? { _tag: "Forget" } : { _tag: "RateLimited" }
  }
}

/**
 * Carries out the verdict on `queue` after `name`'s pass; returns when the key is due again
 * (epoch ms), so the next pass can ask for Marathon as of then, or undefined when it waits for an
 * event or edit.
 */
export const requeue = (queue: WorkQueue, name: string, outcome: Outcome) =>
  Effect.gen(function*() {
    const verdict = queueVerdict(outcome)
    const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    switch (verdict._tag) {
      case "RateLimited": {
        const delay = yield* queue.addRateLimited(name)
        return now + Duration.toMillis(delay)
      }
      case "After":
        yield* queue.addAfter(name, Duration.seconds(verdict.seconds))
        return now + verdict.seconds * 1000
      case "Forget":
        yield* queue.forget(name)
        if (verdict.afterSeconds === undefined) return undefined
        yield* queue.addAfter(name, Duration.seconds(verdict.afterSeconds))
        return now + verdict.afterSeconds * 1000
    }
  })
