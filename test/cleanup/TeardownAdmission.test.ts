import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { CleanupLedger } from "../../src/cleanup/CleanupLedger.ts"
import { defaultBudget } from "../../src/cleanup/DeletionBudget.ts"
import { admitTeardown } from "../../src/controller/TeardownAdmission.ts"

// The admission through the ledger service (memory layer): the budget is spent across calls, and a
// ledger written by someone else between read and write is read again, never overwritten.
const input = (specs: ReadonlyArray<string>, managed: ReadonlyArray<string>) => ({
  specNames: new Set(specs),
  specsSynced: true,
  managedInstances: new Set(managed),
  force: false
})
const all = Array.from({ length: 6 }, (_, i) => `s${i}.main`)

describe("tear-down admission", () => {
  it.effect("spends one budget across passes: 3 of 6 admitted, the rest refused with the reason", () =>
    Effect.gen(function*() {
      const verdicts: Array<string | undefined> = []
      for (const name of all.slice(0, 5)) verdicts.push(yield* admitTeardown(name, input(["s5.main"], all), defaultBudget))
      assert.deepStrictEqual(verdicts.slice(0, 3), [undefined, undefined, undefined])
      assert.match(verdicts[3] ?? "", /deletion budget spent: 3 of 6/)
      assert.match(verdicts[4] ?? "", /deletion budget spent/)
      const { ledger } = yield* (yield* CleanupLedger).read
      assert.deepStrictEqual(ledger.admitted.map((entry) => entry.name), ["s0.main", "s1.main", "s2.main"])
    }).pipe(Effect.provide(CleanupLedger.layerMemory)))

  it.effect("a concurrent writer's change is kept: the update reads again and retries", () =>
    Effect.gen(function*() {
      const store = yield* CleanupLedger
      let interfered = false
      const racing = Layer.succeed(
        CleanupLedger,
        CleanupLedger.of({
          read: store.read,
          swap: (ledger, version) =>
            Effect.gen(function*() {
              if (!interfered) {
                interfered = true
                // Someone approves an instance between our read and our write.
                const current = yield* store.read
                yield* store.swap({ ...current.ledger, approved: ["x.main"] }, current.version)
              }
              return yield* store.swap(ledger, version)
            })
        })
      )
      const verdict = yield* admitTeardown("s0.main", input(["s5.main"], all), defaultBudget).pipe(Effect.provide(racing))
      assert.isUndefined(verdict)
      const { ledger } = yield* store.read
      assert.deepStrictEqual(ledger.approved, ["x.main"])
      assert.deepStrictEqual(ledger.admitted.map((entry) => entry.name), ["s0.main"])
    }).pipe(Effect.provide(CleanupLedger.layerMemory)))
})
