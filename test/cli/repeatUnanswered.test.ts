// `apply` of a GitSource or Notifier document when etcd does not answer its write
// (src/cli/commands/apply/repeatUnanswered.ts), on a scripted store and the test clock: repeated
// while unanswered (three times more at most), never after a lasting failure, and reported as what
// the first try did when the repeat finds the document already as wanted.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import { applyRepeatingUnanswered } from "../../src/cli/commands/apply/repeatUnanswered.ts"
import type { ApplyAction } from "../../src/store/SpecStore.ts"
import { StoreError } from "../../src/store/StoreError.ts"

const silence = new StoreError({ reason: "Timeout", endpoint: "test", operation: "put", message: "no answer" })
const denied = new StoreError({ reason: "PermissionDenied", endpoint: "test", operation: "put", message: "no" })

interface Outcome {
  readonly action: ApplyAction
  readonly doc: { readonly metadata: { readonly resourceVersion: string } }
}
const outcome = (action: ApplyAction, resourceVersion: string): Outcome => ({ action, doc: { metadata: { resourceVersion } } })

/** A store whose document was `before` (a revision, or absent) and whose applies answer in turn. */
const scripted = (before: string | undefined, answers: ReadonlyArray<Outcome | StoreError>) => {
  const calls = { reads: 0, applies: 0 }
  return {
    calls,
    options: {
      read: Effect.sync(() => {
        calls.reads++
        return before === undefined ? Option.none() : Option.some({ metadata: { resourceVersion: before } })
      }),
      expected: undefined,
      apply: () =>
        Effect.suspend(() => {
          const answer = answers[Math.min(calls.applies++, answers.length - 1)]!
          return answer instanceof StoreError ? Effect.fail(answer) : Effect.succeed(answer)
        }),
      stored: (answer: Outcome) => answer.doc
    }
  }
}

/** Runs to the end, moving the test clock over the pauses between tries. */
const settle = <A>(effect: Effect.Effect<A>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    for (let step = 0; step < 10; step++) yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

const actionOf = (result: Result.Result<Outcome, unknown>) => Result.isSuccess(result) ? result.success.action : "failed"

describe("applyRepeatingUnanswered", () => {
  it.effect("an answered write is reported as it is, tried once", () =>
    Effect.gen(function*() {
      const store = scripted("5", [outcome("configured", "6")])
      assert.strictEqual(actionOf(yield* settle(applyRepeatingUnanswered(store.options))), "configured")
      assert.deepStrictEqual(store.calls, { reads: 1, applies: 1 })
    }))

  it.effect("a write that landed unanswered is reported as the first try's: created, or configured", () =>
    Effect.gen(function*() {
      const created = scripted(undefined, [silence, outcome("unchanged", "7")])
      assert.strictEqual(actionOf(yield* settle(applyRepeatingUnanswered(created.options))), "created")
      assert.deepStrictEqual(created.calls, { reads: 1, applies: 2 })

      const configured = scripted("5", [silence, outcome("unchanged", "6")])
      assert.strictEqual(actionOf(yield* settle(applyRepeatingUnanswered(configured.options))), "configured")

      // Found as it was before the first try: nothing was written, by anyone.
      const unchanged = scripted("5", [silence, outcome("unchanged", "5")])
      assert.strictEqual(actionOf(yield* settle(applyRepeatingUnanswered(unchanged.options))), "unchanged")
    }))

  it.effect("a write that did not land is made by the repeat", () =>
    Effect.gen(function*() {
      const store = scripted("5", [silence, silence, outcome("configured", "6")])
      assert.strictEqual(actionOf(yield* settle(applyRepeatingUnanswered(store.options))), "configured")
      assert.strictEqual(store.calls.applies, 3)
    }))

  it.effect("gives up with etcd's error after three repeats; a lasting failure is never repeated", () =>
    Effect.gen(function*() {
      const silent = scripted("5", [silence])
      const result = yield* settle(applyRepeatingUnanswered(silent.options))
      assert.isTrue(Result.isFailure(result) && result.failure === silence)
      assert.strictEqual(silent.calls.applies, 4)

      const refused = scripted("5", [denied, outcome("configured", "6")])
      const once = yield* settle(applyRepeatingUnanswered(refused.options))
      assert.isTrue(Result.isFailure(once) && once.failure === denied)
      assert.strictEqual(refused.calls.applies, 1)
    }))
})
