// The per-instance duration series show exactly the slowest instances: random records and
// deletions, the changes applied as the metric applies them, checked after every step against
// every instance's latest duration.
import { assert, describe, it } from "@effect/vitest"
import { SlowestRollouts } from "../../src/telemetry/SlowestRollouts.ts"

/** A small deterministic generator (mulberry32), so a failure replays. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("SlowestRollouts", () => {
  it("shows the instances whose last rollout took longest, each with its latest duration", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const next = random(seed)
      const capacity = 5
      const slowest = new SlowestRollouts(capacity)
      const latest = new Map<string, number>()
      const series = new Map<string, number>()
      for (let step = 0; step < 3_000; step++) {
        const at = `seed ${seed}, step ${step}`
        const name = `i${Math.floor(next() * 20)}`
        let changes
        if (next() < 0.15) {
          changes = slowest.forget(name)
          latest.delete(name)
        } else {
          // Few distinct values, so ties happen; durations go up and down.
          const seconds = Math.floor(next() * 10)
          changes = slowest.record(name, seconds)
          latest.set(name, seconds)
        }
        for (const removed of changes.removed) assert.isTrue(series.delete(removed), `${at}: removed ${removed}, which was not shown`)
        for (const [shown, seconds] of changes.set) series.set(shown, seconds)

        assert.strictEqual(series.size, Math.min(capacity, latest.size), `${at}: as many series as it may show`)
        for (const [shown, seconds] of series) assert.strictEqual(seconds, latest.get(shown), `${at}: ${shown}'s latest duration`)
        const hidden = [...latest].filter(([instance]) => !series.has(instance)).map(([, seconds]) => seconds)
        if (hidden.length > 0) {
          assert.isAtLeast(Math.min(...series.values()), Math.max(...hidden), `${at}: a hidden instance is slower than a shown one`)
        }
        assert.deepStrictEqual(new Map(slowest.current()), series, `${at}: current() is what was applied`)
      }
    }
  })

  it("a deletion of an instance it never saw changes nothing", () => {
    const slowest = new SlowestRollouts(2)
    slowest.record("a", 1)
    assert.deepStrictEqual(slowest.forget("b"), { set: [], removed: [] })
    assert.deepStrictEqual(slowest.current(), [["a", 1]])
  })
})
