import { assert, describe, it } from "@effect/vitest"
import { backoffMillis, defaultBackoff, recordFailure, validateBackoff } from "../../src/controller/internal/backoff.ts"

describe("per-key backoff", () => {
  it("starts at 5 ms and doubles per failure", () => {
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((n) => backoffMillis(n)), [5, 10, 20, 40, 80, 160])
  })

  it("waits 655.36 s on the 18th failure and the 1000 s cap from the 19th on", () => {
    assert.strictEqual(backoffMillis(17), 655_360)
    assert.strictEqual(backoffMillis(18), defaultBackoff.maxMillis)
    assert.strictEqual(backoffMillis(19), 1_000_000)
  })

  it("stays at the cap when 2^n overflows", () => {
    assert.strictEqual(backoffMillis(5_000), 1_000_000)
    assert.strictEqual(backoffMillis(Number.MAX_SAFE_INTEGER), 1_000_000)
  })

  it("follows custom base and cap (1 ms to 1 s)", () => {
    const options = { baseMillis: 1, maxMillis: 1_000 }
    const delays = Array.from({ length: 12 }, (_, n) => backoffMillis(n, options))
    assert.deepStrictEqual(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_000, 1_000])
  })

  it("records a failure: the delay for the count so far, and the count plus one", () => {
    assert.deepStrictEqual(recordFailure(0), { delayMillis: 5, failures: 1 })
    assert.deepStrictEqual(recordFailure(3), { delayMillis: 40, failures: 4 })
  })

  it("treats negative or fractional counts as whole failures from zero", () => {
    assert.strictEqual(backoffMillis(-3), 5)
    assert.strictEqual(backoffMillis(2.7), 20)
  })

  it("rejects a zero base, a cap below the base and NaN", () => {
    assert.throws(() => validateBackoff({ baseMillis: 0, maxMillis: 10 }), RangeError)
    assert.throws(() => validateBackoff({ baseMillis: 10, maxMillis: 5 }), RangeError)
    assert.throws(() => validateBackoff({ baseMillis: Number.NaN, maxMillis: 5 }), RangeError)
    assert.deepStrictEqual(validateBackoff(defaultBackoff), defaultBackoff)
  })
})
