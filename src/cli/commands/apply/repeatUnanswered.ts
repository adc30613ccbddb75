// `apply` of one GitSource or Notifier document when etcd does not answer its write (a member that
// froze, the call's deadline): the write may have landed or not. Each document is written whole,
// by compare-and-swap on what the try read, so the same apply from a fresh read finishes the job.
// What the document was before the first try (read first) tells the report apart, as for specs
// (ActionAfterRetry.ts): a repeat that finds it as wanted although it moved since says what the
// first try did. A document that carries resourceVersion is not refused on its own landed write.
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

/** Whether `stored` is at the revision a document expects ("0": none). */
export const isAt = (stored: Option.Option<Revisioned>, expected: string) =>
  Option.isNone(stored) ? expected === "0" : stored.value.metadata.resourceVersion === expected

/**
 * Runs `apply` (whose success names the stored document through `stored`), repeated while etcd
 * does not answer; `read` is the document as stored (before the first try, and when a repeat must
 * know). `expected` is the revision the document carries (undefined: none, or overridden). A
 * repeat expects it too, unless the first try read that revision and a dry run without it finds
 * the document unchanged: the first try's write landed, and expecting the revision it replaced
 * would refuse this apply's own write as someone else's (as for specs, expectationOnRepeat.ts).
 */
export const applyRepeatingUnanswered = <A extends { readonly action: ApplyAction }, E>(options: {
  readonly read: Effect.Effect<Option.Option<Revisioned>, E>
  readonly expected: string | undefined
  /** One try: over `expectedResourceVersion` when given; a dry run when `probe`. */
  readonly apply: (expectedResourceVersion: string | undefined, probe: boolean) => Effect.Effect<A, E>
  readonly stored: (outcome: A) => Revisioned
}): Effect.Effect<Result.Result<A, E>> =>
  Effect.gen(function*() {
    const before = yield* Effect.result(options.read)
    if (Result.isFailure(before)) return Result.fail(before.failure)
    const { expected } = options
    const first = yield* Effect.result(options.apply(expected, false))
    if (Result.isSuccess(first) || !unanswered(first.failure)) return first
    const expectation = Effect.gen(function*() {
      if (expected === undefined || !isAt(before.success, expected) || isAt(yield* options.read, expected)) return expected
      const probe = yield* options.apply(undefined, true)
      return probe.action === "unchanged" ? undefined : expected
    })
    const again = yield* Effect.result(Effect.flatMap(expectation, (expectedNow) => options.apply(expectedNow, false))).pipe(
      Effect.repeat({ schedule: unansweredRepeats, until: (result) => Result.isSuccess(result) || !unanswered(result.failure) })
    )
    const revisionBefore = Option.map(before.success, (stored) => stored.metadata.resourceVersion)
    return Result.map(again, (outcome): A => ({
      ...outcome,
      action: actionAfterRepeat(revisionBefore, outcome.action, options.stored(outcome).metadata.resourceVersion)
    }))
  })
