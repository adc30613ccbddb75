import { assert, describe, it } from "@effect/vitest"
import { backoffMs, jitteredMs, nextDelayMs } from "../../src/gitops/Backoff.ts"

describe("GitOps timing", () => {
  it("backs off from 750 ms doubling to 15 min", () => {
    assert.deepStrictEqual([1, 2, 3, 4].map(backoffMs), [750, 1500, 3000, 6000])
    assert.strictEqual(backoffMs(11), 768_000)
    assert.strictEqual(backoffMs(12), 900_000)
    assert.strictEqual(backoffMs(60), 900_000)
  })

  it("jitters the interval by ±5 %", () => {
    assert.strictEqual(jitteredMs(60_000, 0), 57_000)
    assert.strictEqual(jitteredMs(60_000, 0.5), 60_000)
    assert.isBelow(jitteredMs(60_000, 0.9999), 63_000)
    assert.strictEqual(nextDelayMs(0, 60_000, 0.5), 60_000)
    assert.strictEqual(nextDelayMs(2, 60_000, 0.5), 1_500)
  })
})
