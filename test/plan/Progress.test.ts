import { assert, describe, it } from "@effect/vitest"
import { progress } from "../../src/plan/Progress.ts"
import { at } from "./Fixtures.ts"

const step = (
  previous: Parameters<typeof progress>[0]["previous"],
  seconds: number,
  happyNew: number,
  remainingOld: number,
  idle: boolean
) => progress({ previous, now: at(seconds), appId: "/web.main.gitnew.config1", happyNew, remainingOld, idle, deadlineSeconds: 60 })

describe("progress mark (the Stalled verdict)", () => {
  it("a steady instance keeps its mark pass after pass, so an idle pass changes no status", () => {
    const first = step(undefined, 0, 3, 0, true)
    const later = step(first.mark, 3600, 3, 0, true)
    assert.strictEqual(later.mark, first.mark)
    assert.isFalse(later.stalled)
  })

  it("a bounce that begins after a long steady spell starts its deadline clock then", () => {
    const steady = step(undefined, 0, 3, 0, true)
    const begun = step(steady.mark, 3600, 3, 3, false)
    assert.strictEqual(begun.mark.at.epochMilliseconds, at(3600).epochMilliseconds)
    assert.isFalse(begun.stalled)
    // No progress for the deadline: stalled; a dip and recovery does not move the mark.
    const dipped = step(begun.mark, 3620, 2, 3, false)
    const recovered = step(dipped.mark, 3650, 3, 3, false)
    assert.strictEqual(recovered.mark, begun.mark)
    assert.isTrue(step(recovered.mark, 3660, 3, 3, false).stalled)
    // More happy tasks is progress.
    assert.isFalse(step(recovered.mark, 3660, 4, 3, false).stalled)
  })

  it("a steady instance whose position changes (a scale in place that settled) takes a fresh mark", () => {
    const steady = step(undefined, 0, 3, 0, true)
    const scaled = step(steady.mark, 100, 5, 0, true)
    assert.notStrictEqual(scaled.mark, steady.mark)
    assert.strictEqual(scaled.mark.happyNew, 5)
  })
})
