import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { defaultMinSpareMs, leaseGate, openGate } from "../../src/controller/WriteGate.ts"

describe("write gate (design §11: writes stop with leadership)", () => {
  it.effect("lets a write start only with the minimum to spare, and bounds it by what is left", () =>
    Effect.gen(function*() {
      let left = 5_000
      const gate = leaseGate(Effect.sync(() => left))
      const spare = yield* gate.check
      assert.isDefined(spare)
      assert.isBelow(spare!, 5_000)
      assert.isAtLeast(spare!, 5_000 - defaultMinSpareMs)
      left = defaultMinSpareMs - 1
      const close = yield* Effect.result(gate.check)
      assert.isTrue(Result.isFailure(close))
      left = 0
      const lost = yield* Effect.result(gate.check)
      assert.isTrue(Result.isFailure(lost))
      if (Result.isFailure(lost)) assert.match(lost.failure.message, /leadership lost/)
    }))

  it.effect("exactly the minimum to spare is enough; less is refused with the time that is left", () =>
    Effect.gen(function*() {
      let left = 2_000
      const gate = leaseGate(Effect.sync(() => left), 2_000)
      // Half the spare is kept back for the answer to come home: 2 000 left allows a 1 000 ms write.
      assert.strictEqual(yield* gate.check, 1_000)
      left = 1_999.6
      const close = yield* Effect.result(gate.check)
      assert.isTrue(Result.isFailure(close))
      if (Result.isFailure(close)) {
        assert.strictEqual(close.failure._tag, "WriteRefused")
        assert.strictEqual(close.failure.message, "only 2000 ms left on the lease: no Marathon write is started")
      }
    }))

  it.effect("a gate without a lease never refuses nor bounds a write, and its refusal is a WriteRefused", () =>
    Effect.gen(function*() {
      assert.isUndefined(yield* openGate.check)
      const refused = yield* Effect.result(openGate.refuse("not now"))
      assert.isTrue(Result.isFailure(refused))
      if (Result.isFailure(refused)) {
        assert.strictEqual(refused.failure._tag, "WriteRefused")
        assert.strictEqual(refused.failure.message, "not now")
      }
    }))
})
