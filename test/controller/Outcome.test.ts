import { assert, describe, it } from "@effect/vitest"
import { InvalidSpec, messageOfOutcome, queueVerdict, resultOf } from "../../src/controller/Outcome.ts"
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
