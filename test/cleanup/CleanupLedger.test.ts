import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { CleanupLedger, updateLedger } from "../../src/cleanup/CleanupLedger.ts"
import { approve, emptyLedger } from "../../src/cleanup/DeletionBudget.ts"

describe("cleanup ledger (memory layer)", () => {
  it.effect("a swap lands only on the version it read, and moves the version on", () =>
    Effect.gen(function*() {
      const store = yield* CleanupLedger
      assert.deepStrictEqual(yield* store.read, { ledger: emptyLedger, version: "0" })
      const first = approve(emptyLedger, ["a.main"])
      assert.isTrue(yield* store.swap(first, "0"))
      assert.deepStrictEqual(yield* store.read, { ledger: first, version: "1" })
      // A writer still holding version 0 lost the race: its write is refused, the first one kept.
      assert.isFalse(yield* store.swap(approve(emptyLedger, ["b.main"]), "0"))
      assert.deepStrictEqual(yield* store.read, { ledger: first, version: "1" })
      assert.isTrue(yield* store.swap(approve(first, ["b.main"]), "1"))
      assert.strictEqual((yield* store.read).version, "2")
    }).pipe(Effect.provide(CleanupLedger.layerMemory)))

  it.effect("an update gives up after eight contended attempts with a typed error", () =>
    Effect.gen(function*() {
      let reads = 0
      const contended = Layer.succeed(
        CleanupLedger,
        CleanupLedger.of({
          read: Effect.sync(() => {
            reads++
            return { ledger: emptyLedger, version: String(reads) }
          }),
          swap: () => Effect.succeed(false)
        })
      )
      const result = yield* Effect.result(
        updateLedger((ledger) => ({ next: approve(ledger, ["a.main"]), result: "written" })).pipe(Effect.provide(contended))
      )
      assert.strictEqual(reads, 8)
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) {
        assert.strictEqual(result.failure._tag, "CleanupLedgerError")
        assert.strictEqual(result.failure.message, "the cleanup ledger kept changing under this update")
      }
    }))
})
