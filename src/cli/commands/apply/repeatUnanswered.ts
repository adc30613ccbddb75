// `apply` of one GitSource or Notifier document when etcd does not answer its write (a member that
// froze, the call's deadline): the write may have landed or not. Each document is written whole,
// by compare-and-swap on what the try read, so the same apply from a fresh read finishes the job.
// What the document was before the first try (read first) tells the report apart, as for specs
// (ActionAfterRetry.ts): a repeat that finds it as wanted although it moved since says what the
// first try did.
import { Effect, Option, Result, Schedule } from "effect"
import type { ApplyAction } from "../../../store/SpecStore.ts"
import { StoreError } from "../../../store/StoreError.ts"

interface Revisioned {
  readonly metadata: { readonly resourceVersion: string }
}

/** Repeats after a write etcd did not answer: 200 ms, then 400 ms; three tries more at most. */
const repeatSchedule = Schedule.exponential("200 millis").pipe(Schedule.upTo({ times: 2 }))

const unanswered = (error: unknown) => error instanceof StoreError && error.retryable

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
      Effect.repeat({ schedule: repeatSchedule, until: (result) => Result.isSuccess(result) || !unanswered(result.failure) })
    )
    return Result.map(again, (outcome): A => {
      if (outcome.action !== "unchanged") return outcome
      if (Option.isNone(before.success)) return { ...outcome, action: "created" }
      return before.success.value.metadata.resourceVersion === options.stored(outcome).metadata.resourceVersion
        ? outcome
        : { ...outcome, action: "configured" }
    })
  })
