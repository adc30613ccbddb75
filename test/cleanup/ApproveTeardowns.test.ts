import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Ref, Result } from "effect"
import { TestClock } from "effect/testing"
import { approveTeardowns, unsettled } from "../../src/cleanup/ApproveTeardowns.ts"
import { CleanupLedger, CleanupLedgerError } from "../../src/cleanup/CleanupLedger.ts"
import type { Ledger } from "../../src/cleanup/DeletionBudget.ts"
import { emptyLedger } from "../../src/cleanup/DeletionBudget.ts"

type SwapScript = "answer" | "lost answer" | "unanswered" | "unreadable"

/**
 * A ledger in memory whose swaps follow a script: answered; landed but its answer lost; not
 * landed and not answered; or failed for good. `afterSwap` plays the controller between a swap and
 * the next read (it admits an approved name, taking its approval).
 */
const scriptedLedger = (script: ReadonlyArray<SwapScript>, afterSwap: (ledger: Ledger) => Ledger = (ledger) => ledger) =>
  Effect.gen(function*() {
    const state = yield* Ref.make({ ledger: emptyLedger, version: 0 })
    const swaps = yield* Ref.make(0)
    const layer = Layer.succeed(
      CleanupLedger,
      CleanupLedger.of({
        read: Effect.map(Ref.get(state), ({ ledger, version }) => ({ ledger, version: String(version) })),
        swap: (ledger, version) =>
          Effect.gen(function*() {
            const step = script[yield* Ref.getAndUpdate(swaps, (n) => n + 1)] ?? "answer"
            if (step === "unreadable") return yield* new CleanupLedgerError({ message: "/p/cleanup/ledger is unreadable" })
            const current = yield* Ref.get(state)
            const lands = step !== "unanswered" && String(current.version) === version
            if (lands) yield* Ref.set(state, { ledger: afterSwap(ledger), version: current.version + 1 })
            if (step === "answer") return lands
            return yield* new CleanupLedgerError({ message: "etcd: deadline exceeded", unanswered: true })
          })
      })
    )
    return { layer, ledger: Effect.map(Ref.get(state), (s) => s.ledger), swaps: Ref.get(swaps) }
  })

/** The controller admitting `name` on its approval: the approval is used up. */
const admitOnApproval = (name: string) => (ledger: Ledger): Ledger =>
  ledger.approved.includes(name)
    ? { ...ledger, approved: ledger.approved.filter((each) => each !== name), admitted: [...ledger.admitted, { name, at: 1_000 }] }
    : ledger

/** Runs the approval with the repeats' pauses passed on the test clock. */
const run = (names: ReadonlyArray<string>, layer: Layer.Layer<CleanupLedger>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(Effect.result(approveTeardowns(names).pipe(Effect.provide(layer))))
    // A second at a time: each pause is taken only once the try before it has failed.
    for (let step = 0; step < 5; step++) yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

describe("approveTeardowns (cleanup approve, design.md §11)", () => {
  it.effect("a write that landed and lost its answer, whose approval the controller already used, is not written again", () =>
    Effect.gen(function*() {
      const ledger = yield* scriptedLedger(["lost answer"], admitOnApproval("web.canary"))
      const result = yield* run(["web.canary"], ledger.layer)
      assert.isTrue(Result.isSuccess(result))
      const after = yield* ledger.ledger
      // Approving again would leave an approval waiting for the next deletion of web.canary.
      assert.deepStrictEqual(after.approved, [])
      assert.deepStrictEqual(after.admitted.map((entry) => entry.name), ["web.canary"])
      assert.strictEqual(yield* ledger.swaps, 1)
    }))

  it.effect("a write that landed and lost its answer is reported done, with the approval written once", () =>
    Effect.gen(function*() {
      const ledger = yield* scriptedLedger(["lost answer"])
      assert.isTrue(Result.isSuccess(yield* run(["web.canary", "api.main"], ledger.layer)))
      assert.deepStrictEqual((yield* ledger.ledger).approved, ["web.canary", "api.main"])
      assert.strictEqual(yield* ledger.swaps, 1)
    }))

  it.effect("a write that did not land is sent again and lands", () =>
    Effect.gen(function*() {
      const ledger = yield* scriptedLedger(["unanswered", "unanswered"])
      assert.isTrue(Result.isSuccess(yield* run(["web.canary"], ledger.layer)))
      assert.deepStrictEqual((yield* ledger.ledger).approved, ["web.canary"])
      assert.strictEqual(yield* ledger.swaps, 3)
    }))

  it.effect("etcd not answering four times in a row: the error, after three repeats", () =>
    Effect.gen(function*() {
      const ledger = yield* scriptedLedger(["unanswered", "unanswered", "unanswered", "unanswered"])
      const result = yield* run(["web.canary"], ledger.layer)
      assert.isTrue(Result.isFailure(result) && result.failure.unanswered === true)
      assert.strictEqual(yield* ledger.swaps, 4)
      assert.deepStrictEqual((yield* ledger.ledger).approved, [])
    }))

  it.effect("a failure that is not a lost answer is never repeated", () =>
    Effect.gen(function*() {
      const ledger = yield* scriptedLedger(["unreadable"])
      const result = yield* run(["web.canary"], ledger.layer)
      assert.isTrue(Result.isFailure(result) && result.failure.message.includes("unreadable"))
      assert.strictEqual(yield* ledger.swaps, 1)
    }))

  it("a name is settled when approved, or admitted since the first try; an older admission does not count", () => {
    const before: Ledger = { ...emptyLedger, admitted: [{ name: "old.main", at: 10 }] }
    const now: Ledger = {
      ...emptyLedger,
      admitted: [{ name: "old.main", at: 10 }, { name: "b.main", at: 20 }],
      approved: ["a.main"]
    }
    assert.deepStrictEqual(unsettled(before, now, ["a.main", "b.main", "old.main", "c.main"]), ["old.main", "c.main"])
  })
})
