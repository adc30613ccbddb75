// The lease's age on two clocks (src/store/internal/renewalClock.ts): a wall clock stepped back
// must not make a lease look younger than the monotonic clock says, and a wall clock stepped
// forward (or a machine that slept) counts too, since a holder must stop before etcd expires it.
import { assert, describe, it } from "@effect/vitest"
import { makeRenewalClock, stampOf } from "../../src/store/internal/renewalClock.ts"

/** Two clocks a test moves by hand: `advance` moves both, `stepWall` only the wall clock. */
const handClocks = () => {
  let wall = 1_700_000_000_000
  let monotonic = 5_000
  return {
    clocks: { wall: () => wall, monotonic: () => monotonic },
    advance: (ms: number) => {
      wall += ms
      monotonic += ms
    },
    stepWall: (ms: number) => {
      wall += ms
    }
  }
}

describe("renewalClock", () => {
  it("counts from the grant, and from each renewal's sending", () => {
    const hand = handClocks()
    const renewals = makeRenewalClock(stampOf(hand.clocks), hand.clocks)
    hand.advance(400)
    assert.strictEqual(renewals.sinceRenewal(), 400)
    const sent = renewals.stamp()
    hand.advance(300)
    renewals.renewed(sent)
    assert.strictEqual(renewals.sinceRenewal(), 300)
  })

  it("a wall clock stepped back does not make the lease younger", () => {
    const hand = handClocks()
    const renewals = makeRenewalClock(stampOf(hand.clocks), hand.clocks)
    hand.advance(1_500)
    hand.stepWall(-60_000)
    assert.strictEqual(renewals.sinceRenewal(), 1_500)
  })

  it("a wall clock stepped forward, as after a sleep the monotonic clock did not count, ages it", () => {
    const hand = handClocks()
    const renewals = makeRenewalClock(stampOf(hand.clocks), hand.clocks)
    hand.advance(100)
    hand.stepWall(5_000)
    assert.strictEqual(renewals.sinceRenewal(), 5_100)
  })

  it("an answer to an older keep-alive than the last renewal changes nothing", () => {
    const hand = handClocks()
    const renewals = makeRenewalClock(stampOf(hand.clocks), hand.clocks)
    const older = renewals.stamp()
    hand.advance(200)
    const newer = renewals.stamp()
    hand.advance(200)
    renewals.renewed(newer)
    renewals.renewed(older)
    assert.strictEqual(renewals.sinceRenewal(), 200)
  })
})
