// A guarded delete whose answer never came (a member that froze, a leader lost mid-transaction)
// may or may not have landed. Sending it again blind is safe — its guard fails if anything moved —
// but then it reports a conflict for the delete it made itself. So, before it is sent again, the
// keys are read: all gone, it landed (or someone else deleted them: gone either way, as asked);
// all still at the revisions read, it did not, and it is sent again; anything else is a change by
// someone else, told as a conflict without a second delete.
import { Duration, Effect, Result } from "effect"
import type { StoreError } from "../StoreError.ts"

/**
 * What became of a delete of keys read at known revisions: deleted; refused by its guard (a key
 * moved since it was read; nothing deleted); or unanswered, with the keys changed by someone else
 * since (whether it landed before they changed cannot be known).
 */
export type DeleteOutcome = "deleted" | "refused" | "changed"

export interface UnansweredDeleteOptions {
  /** Sends the guarded delete: true when it went through, false when its guard failed. */
  readonly send: Effect.Effect<boolean, StoreError>
  /** Each key's mod revision now (undefined when absent), in the order of `revisions`. */
  readonly readRevisions: Effect.Effect<ReadonlyArray<string | undefined>, StoreError>
  /** The revisions the delete is guarded on. */
  readonly revisions: ReadonlyArray<string>
  /** How many times an unanswered delete is sent again, at most. */
  readonly repeats?: number
}

/** Times an unanswered delete is sent again by default: as often as `apply` repeats a write. */
export const defaultDeleteRepeats = 3

export const deleteRepeatingUnanswered = (options: UnansweredDeleteOptions) =>
  Effect.gen(function*() {
    const repeats = options.repeats ?? defaultDeleteRepeats
    for (let attempt = 0;; attempt++) {
      const sent = yield* Effect.result(options.send)
      if (Result.isSuccess(sent)) return (sent.success ? "deleted" : "refused") satisfies DeleteOutcome
      if (!sent.failure.retryable || attempt >= repeats) return yield* Effect.fail(sent.failure)
      yield* Effect.sleep(Duration.millis(200 * 2 ** attempt))
      const now = yield* options.readRevisions
      if (now.every((revision) => revision === undefined)) return "deleted" satisfies DeleteOutcome
      if (!now.every((revision, index) => revision === options.revisions[index])) return "changed" satisfies DeleteOutcome
    }
  })
