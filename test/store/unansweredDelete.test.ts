// The repeat rule of an unanswered guarded delete (src/store/internal/unansweredDelete.ts), on a
// scripted etcd: how many times it is sent, what each read after a silence decides, and that it
// gives up with etcd's own error once its repeats are spent.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { DeleteOutcome } from "../../src/store/internal/unansweredDelete.ts"
import { defaultDeleteRepeats, deleteRepeatingUnanswered } from "../../src/store/internal/unansweredDelete.ts"
import { StoreError } from "../../src/store/StoreError.ts"

const silence = new StoreError({ reason: "Timeout", endpoint: "test", operation: "delete", message: "no answer" })

/** Sends answered as `answers` says (a StoreError: no answer), reads as `reads` says. */
const scripted = (answers: ReadonlyArray<boolean | StoreError>, reads: ReadonlyArray<ReadonlyArray<string | undefined>> = []) => {
  const log: Array<string> = []
  let sent = 0
  let read = 0
  const options = {
    send: Effect.suspend(() => {
      const answer = answers[Math.min(sent++, answers.length - 1)]!
      log.push("send")
      return answer instanceof StoreError ? Effect.fail(answer) : Effect.succeed(answer)
    }),
    readRevisions: Effect.sync(() => {
      log.push("read")
      return reads[Math.min(read++, reads.length - 1)] ?? ["5", "6"]
    }),
    revisions: ["5", "6"]
  }
  return { log, options }
}

const ended = (outcome: DeleteOutcome): Exit.Exit<DeleteOutcome, StoreError> => Exit.succeed(outcome)

/** Runs the delete to its end, moving the test clock over its pauses. */
const settle = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    for (let step = 0; step < 10; step++) yield* TestClock.adjust("2 seconds")
    return yield* Fiber.await(fiber)
  })

describe("deleteRepeatingUnanswered", () => {
  it.effect("answered: deleted, or refused by its guard, each sent once", () =>
    Effect.gen(function*() {
      for (const [answer, outcome] of [[true, "deleted"], [false, "refused"]] as const) {
        const { log, options } = scripted([answer])
        assert.strictEqual(yield* deleteRepeatingUnanswered(options), outcome satisfies DeleteOutcome)
        assert.deepStrictEqual(log, ["send"])
      }
    }))

  it.effect("unanswered: the read decides — all gone is deleted, unchanged is sent again, changed is told", () =>
    Effect.gen(function*() {
      const gone = scripted([silence], [[undefined, undefined]])
      assert.deepStrictEqual(yield* settle(deleteRepeatingUnanswered(gone.options)), ended("deleted"))
      assert.deepStrictEqual(gone.log, ["send", "read"])

      const unchanged = scripted([silence, true], [["5", "6"]])
      assert.deepStrictEqual(yield* settle(deleteRepeatingUnanswered(unchanged.options)), ended("deleted"))
      assert.deepStrictEqual(unchanged.log, ["send", "read", "send"])

      // One gone and one still there, or one at a newer revision: someone else's doing.
      for (const now of [[undefined, "6"], ["5", "9"]]) {
        const changed = scripted([silence], [now])
        assert.deepStrictEqual(yield* settle(deleteRepeatingUnanswered(changed.options)), ended("changed"))
        assert.deepStrictEqual(changed.log, ["send", "read"])
      }
    }))

  it.effect("gives up with etcd's error once its repeats are spent; a lasting failure is never repeated", () =>
    Effect.gen(function*() {
      const silent = scripted([silence], [["5", "6"]])
      assert.deepStrictEqual(yield* settle(deleteRepeatingUnanswered(silent.options)), Exit.fail(silence))
      assert.strictEqual(silent.log.filter((entry) => entry === "send").length, 1 + defaultDeleteRepeats)

      const denied = new StoreError({ reason: "PermissionDenied", endpoint: "test", operation: "delete", message: "no" })
      const refused = scripted([denied])
      assert.deepStrictEqual(yield* settle(deleteRepeatingUnanswered(refused.options)), Exit.fail(denied))
      assert.deepStrictEqual(refused.log, ["send"])
    }))
})
