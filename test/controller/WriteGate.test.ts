import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { defaultMinSpareMs, leaseGate } from "../../src/controller/WriteGate.ts"

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
})
