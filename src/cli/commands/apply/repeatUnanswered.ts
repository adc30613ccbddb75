// `apply` of one GitSource or Notifier document when etcd does not answer its write (a member that
// froze, the call's deadline): the write may have landed or not. Each document is written whole,
// by compare-and-swap on what the try read, so the same apply from a fresh read finishes the job.
// What the document was before the first try (read first) tells the report apart, as for specs
// (ActionAfterRetry.ts): a repeat that finds it as wanted although it moved since says what the
// first try did.
import { Effect, Option, Result, Schedule } from "effect"
import type { ApplyAction } from "../../../store/SpecStore.ts"
import { StoreError } from "../../../store/StoreError.ts"
import { actionAfterRepeat } from "./ActionAfterRetry.ts"

interface Revisioned {
  readonly metadata: { readonly resourceVersion: string }
}

/** Repeats of an apply after a write etcd did not answer: 200 ms apart, doubling; three at most. */
export const unansweredRepeats = Schedule.exponential("200 millis").pipe(Schedule.upTo({ times: 2 }))

/** A failure on an etcd that did not answer, not on an answer: worth the same apply again. */
export const unanswered = (error: unknown): boolean => error instanceof StoreError && error.retryable

/**
 * Runs `apply` (whose success names the stored document through `stored`), repeated while etcd
 * does not answer; `read` is the document as stored before the first try.
 */
export const applyRepeatingUnanswered = <A extends { readonly action: ApplyAction }, E>(options: {
  readonly read: Effect.Effect<Option.Option<Revisioned>, E>
  readonly apply: Effect.Effect<A, E>
  readonly stored: (outcome: A) => Revisioned
}): Effect.Effect<Result.Result<A, E>> =>
  Effect.gen(function*() {
    const before = yield* Effect.result(options.read)
    if (Result.isFailure(before)) return Result.fail(before.failure)
    const first = yield* Effect.result(options.apply)
    if (Result.isSuccess(first) || !unanswered(first.failure)) return first
    const again = yield* Effect.result(options.apply).pipe(
      Effect.repeat({ schedule: unansweredRepeats, until: (result) => Result.isSuccess(result) || !unanswered(result.failure) })
    )
    const revisionBefore = Option.map(before.success, (stored) => stored.metadata.resourceVersion)
    return Result.map(again, (outcome): A => ({
      ...outcome,
      action: actionAfterRepeat(revisionBefore, outcome.action, options.stored(outcome).metadata.resourceVersion)
    }))
  })
