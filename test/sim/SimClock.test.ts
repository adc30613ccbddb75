// The emulator's clock: timers run in due order (ties in scheduling order), cancelled ones never
// run, and virtual time moves only through advance().
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { SimClock } from "../../src/sim/clock/SimClock.ts"
import { restartStrategy } from "../../src/sim/deploy/RestartRun.ts"

describe("SimClock (virtual)", () => {
  it("runs due timers in order, ties by scheduling order, and skips cancelled ones", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 60 }), (specs) => {
        const clock = new SimClock("virtual", 0)
        const ran: Array<number> = []
        specs.forEach(([delay, cancel], i) => {
          const t = clock.schedule(delay, () => ran.push(i))
          if (cancel) t.cancel()
        })
        clock.advance(100)
        const expected = specs.map(([delay, cancel], i) => ({ delay, cancel, i })).filter((s) => !s.cancel).sort((a, b) =>
          a.delay - b.delay || a.i - b.i
        ).map((s) => s.i)
        assert.deepStrictEqual(ran, expected)
      })
    )
  })

  it("timers scheduled by timers run within the same advance when due", () => {
    const clock = new SimClock("virtual", 1000)
    const seen: Array<number> = []
    clock.schedule(10, () => {
      seen.push(clock.now())
      clock.schedule(10, () => seen.push(clock.now()))
    })
    assert.strictEqual(clock.advance(15), 1015)
    assert.deepStrictEqual(seen, [1010])
    clock.advance(5)
    assert.deepStrictEqual(seen, [1010, 1020])
  })
})

describe("restart arithmetic (spec §4.5)", () => {
  it("matches the documented examples", () => {
    assert.deepStrictEqual(restartStrategy(3, 1, 1, 3, 3, false), { killNow: 0, maxCapacity: 6 })
    assert.deepStrictEqual(restartStrategy(3, 1, 0, 3, 3, false), { killNow: 0, maxCapacity: 4 })
    assert.deepStrictEqual(restartStrategy(3, 0, 0, 3, 3, false), { killNow: 3, maxCapacity: 3 })
    assert.deepStrictEqual(restartStrategy(4, 0.5, 0, 4, 4, false), { killNow: 2, maxCapacity: 4 })
    assert.deepStrictEqual(restartStrategy(3, 1, 0, 3, 3, true), { killNow: 1, maxCapacity: 3 })
    assert.deepStrictEqual(restartStrategy(2, 1, 1, 5, 5, false), { killNow: 3, maxCapacity: 4 })
  })
})
