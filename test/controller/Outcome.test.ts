import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { InvalidSpec, messageOfOutcome, queueVerdict, requeue, resultOf } from "../../src/controller/Outcome.ts"
import * as WorkQueue from "../../src/controller/WorkQueue.ts"
import type { Outcome } from "../../src/controller/Outcome.ts"
import { MarathonError, Unavailable } from "../../src/marathon/MarathonError.ts"

const marathonDown = new MarathonError({ reason: new Unavailable({ message: "connection refused" }), method: "GET", path: "/v2/apps" })
const outcomes = {
  done: { _tag: "Done" },
  requeue: { _tag: "RequeueAfter", seconds: 15, reason: "tear-down refused", problem: "deletion budget spent" },
  lockHeld: { _tag: "LockHeld", holder: "controller@a/1", seconds: 2 },
  failed: { _tag: "Failed", terminal: false, error: marathonDown, message: "MarathonError: connection refused" },
  invalid: { _tag: "Failed", terminal: true, error: new InvalidSpec({ message: "spec.fromTheFuture: unknown" }), message: "unusable" }
} satisfies Record<string, Outcome<MarathonError>>

describe("reconcile outcome", () => {
  it("each outcome has its status word (design.md §5) and its error text", () => {
    assert.deepStrictEqual(Object.values(outcomes).map(resultOf), ["Done", "RequeueAfter", "LockHeld", "Error", "Invalid"])
    assert.deepStrictEqual(Object.values(outcomes).map(messageOfOutcome), [
      undefined,
      "deletion budget spent",
      "lock held by controller@a/1",
      "MarathonError: connection refused",
      "unusable"
    ])
  })

  it("the queue forgets done and requeued keys, waits out a held lock, backs off a failure, and drops a terminal one", () => {
    assert.deepStrictEqual(queueVerdict(outcomes.done), { _tag: "Forget" })
    assert.deepStrictEqual(queueVerdict(outcomes.requeue), { _tag: "Forget", afterSeconds: 15 })
    assert.deepStrictEqual(queueVerdict(outcomes.lockHeld), { _tag: "After", seconds: 2 })
    assert.deepStrictEqual(queueVerdict(outcomes.failed), { _tag: "RateLimited" })
    // Retrying an unusable spec cannot help: the spec watch brings the key back when it is edited.
    assert.deepStrictEqual(queueVerdict(outcomes.invalid), { _tag: "Forget" })
  })

  it("a failure keeps its error's type for the caller", () => {
    const failed: Outcome<MarathonError> = outcomes.failed
    assert.isTrue(failed._tag === "Failed" && failed.error instanceof MarathonError && failed.error.retryable)
  })
})

describe("the controller's requeue after a pass (a real WorkQueue on TestClock)", () => {
  /** The key's pass is over: take it from the queue (as a worker would) and apply the outcome. */
  const afterPass = (queue: WorkQueue.WorkQueue, outcome: Outcome<MarathonError>) =>
    Effect.gen(function*() {
      yield* queue.add("web.main", "high")
      yield* queue.get
      const due = yield* requeue(queue, "web.main", outcome)
      yield* queue.done("web.main")
      return due
    })

  it.effect("a retryable failure backs off per key, doubling; a requeue-after resets the backoff and comes back on time", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ baseDelay: "1 second", maxDelay: "1 minute" })
      const first = yield* afterPass(queue, outcomes.failed)
      const second = yield* afterPass(queue, outcomes.failed)
      assert.deepStrictEqual([first, second], [1_000, 2_000])
      assert.strictEqual(yield* queue.numRequeues("web.main"), 2)
      assert.strictEqual(yield* queue.len, 0)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* queue.len, 1, "the key is back once its backoff is over")
      yield* queue.get
      yield* queue.done("web.main")
      assert.strictEqual(yield* afterPass(queue, outcomes.requeue), 2_000 + 15_000)
      assert.strictEqual(yield* queue.numRequeues("web.main"), 0, "a pass that got through forgets the failures")
      yield* TestClock.adjust("14 seconds")
      assert.strictEqual(yield* queue.len, 0)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* queue.len, 1)
    }).pipe(Effect.scoped))

  it.effect("a held lock comes back after its delay without resetting the backoff; done and terminal wait for the next event", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ baseDelay: "1 second", maxDelay: "1 minute" })
      yield* afterPass(queue, outcomes.failed)
      yield* TestClock.adjust("1 second")
      yield* queue.get
      yield* queue.done("web.main")
      assert.strictEqual(yield* afterPass(queue, outcomes.lockHeld), 1_000 + 2_000)
      assert.strictEqual(yield* queue.numRequeues("web.main"), 1)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* queue.len, 1)
      yield* queue.get
      yield* queue.done("web.main")
      for (const outcome of [outcomes.done, outcomes.invalid]) {
        assert.isUndefined(yield* afterPass(queue, outcome))
        assert.strictEqual(yield* queue.numRequeues("web.main"), 0)
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(yield* queue.len, 0, `${outcome._tag} is not retried`)
      }
    }).pipe(Effect.scoped))
})
