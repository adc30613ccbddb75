import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as Bucket from "../../src/controller/internal/tokenBucket.ts"
import * as TokenBucket from "../../src/controller/TokenBucket.ts"

const tenPerSecond: Bucket.BucketConfig = { ratePerSecond: 10, burst: 3 }

/** Reserves `n` tokens at `now`, returning each wait. */
const reserveMany = (bucket: Bucket.Bucket, config: Bucket.BucketConfig, now: number, n: number) => {
  const waits: Array<number> = []
  let current = bucket
  for (let i = 0; i < n; i++) {
    const reservation = Bucket.reserve(current, config, now)
    waits.push(reservation.waitMillis)
    current = reservation.bucket
  }
  return { bucket: current, waits }
}

describe("token bucket arithmetic", () => {
  it("allows a full burst at once, then one token per 1/rate", () => {
    const { waits } = reserveMany(Bucket.full(tenPerSecond, 0), tenPerSecond, 0, 6)
    assert.deepStrictEqual(waits, [0, 0, 0, 100, 200, 300])
  })

  it("refills at the rate and never above the burst", () => {
    const empty = reserveMany(Bucket.full(tenPerSecond, 0), tenPerSecond, 0, 3).bucket
    assert.strictEqual(Bucket.refill(empty, tenPerSecond, 150).tokens, 1.5)
    assert.strictEqual(Bucket.refill(empty, tenPerSecond, 60_000).tokens, 3)
  })

  it("serves waiting reservations in order as time passes", () => {
    const owing = reserveMany(Bucket.full(tenPerSecond, 0), tenPerSecond, 0, 5).bucket
    assert.strictEqual(owing.tokens, -2)
    // 250 ms later the two owed tokens are minted and half of the next one.
    assert.strictEqual(Bucket.reserve(owing, tenPerSecond, 250).waitMillis, 50)
  })

  it("a token that is due is whole, whatever the float steps taken to reach it", () => {
    const config = { ratePerSecond: 1, burst: 1 }
    let bucket: Bucket.Bucket = { tokens: -1, updatedAt: 0 }
    bucket = Bucket.release(bucket, config, 100)
    bucket = Bucket.refill(bucket, config, 1_000)
    assert.strictEqual(bucket.tokens, 1)
  })

  it("mints nothing when the clock goes backwards", () => {
    const bucket = { tokens: 0, updatedAt: 1_000 }
    assert.deepStrictEqual(Bucket.refill(bucket, tenPerSecond, 500), bucket)
    assert.strictEqual(Bucket.reserve(bucket, tenPerSecond, 500).waitMillis, 100)
  })

  it("tryTake takes only a whole token that is there now", () => {
    const config = { ratePerSecond: 1, burst: 1 }
    const first = Bucket.tryTake(Bucket.full(config, 0), config, 0)
    assert.isTrue(first.taken)
    const second = Bucket.tryTake(first.bucket, config, 500)
    assert.isFalse(second.taken)
    assert.strictEqual(second.bucket.tokens, 0.5)
    assert.isTrue(Bucket.tryTake(second.bucket, config, 1_000).taken)
  })

  it("release gives a reserved token back, capped at the burst", () => {
    const owing = reserveMany(Bucket.full(tenPerSecond, 0), tenPerSecond, 0, 4).bucket
    assert.strictEqual(Bucket.release(owing, tenPerSecond, 0).tokens, 0)
    assert.strictEqual(Bucket.release(Bucket.full(tenPerSecond, 0), tenPerSecond, 0).tokens, 3)
  })

  it("an infinite rate never waits", () => {
    const config = { ratePerSecond: Infinity, burst: 1 }
    assert.deepStrictEqual(reserveMany(Bucket.full(config, 0), config, 0, 4).waits, [0, 0, 0, 0])
  })

  it("rejects a rate or burst that could block forever", () => {
    assert.throws(() => Bucket.validateConfig({ ratePerSecond: 0, burst: 1 }), RangeError)
    assert.throws(() => Bucket.validateConfig({ ratePerSecond: 10, burst: 0 }), RangeError)
    assert.throws(() => Bucket.validateConfig({ ratePerSecond: 10, burst: Infinity }), RangeError)
    assert.throws(() => Bucket.validateConfig({ ratePerSecond: Number.NaN, burst: 1 }), RangeError)
  })
})

describe("TokenBucket", () => {
  it.effect("defaults to 50 writes/s with a burst of 100", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make()
      assert.strictEqual(bucket.qps, 50)
      assert.strictEqual(bucket.burst, 100)
      assert.strictEqual(yield* bucket.available, 100)
    }))

  it.effect("take: a burst at once, then the rate", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ qps: 10, burst: 3 })
      const takenAt: Array<number> = []
      const takeAndRecord = Effect.andThen(
        bucket.take,
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => takenAt.push(now)))
      )
      const taker = yield* Effect.forkChild(Effect.forEach(Array.from({ length: 6 }), () => takeAndRecord, { discard: true }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(taker)
      assert.deepStrictEqual(takenAt, [0, 0, 0, 100, 200, 300])
    }))

  it.effect("take waits until the token is minted, not before", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ qps: 1, burst: 1 })
      yield* bucket.take
      const waiter = yield* Effect.forkChild(bucket.take)
      yield* TestClock.adjust(999)
      assert.isUndefined(waiter.pollUnsafe())
      yield* TestClock.adjust(1)
      yield* Fiber.join(waiter)
    }))

  it.effect("an interrupted waiter returns its token", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ qps: 1, burst: 1 })
      yield* bucket.take
      const waiter = yield* Effect.forkChild(bucket.take)
      yield* TestClock.adjust(100)
      yield* Fiber.interrupt(waiter)
      // Without the refund the next token would be owed to the interrupted waiter until 2 s.
      yield* TestClock.adjust(900)
      assert.isTrue(yield* bucket.tryTake)
    }))

  it.effect("tryTake never waits and leaves an empty bucket empty", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ qps: 2, burst: 2 })
      assert.deepStrictEqual(
        [yield* bucket.tryTake, yield* bucket.tryTake, yield* bucket.tryTake],
        [true, true, false]
      )
      assert.strictEqual(yield* bucket.available, 0)
      yield* TestClock.adjust(500)
      assert.strictEqual(yield* bucket.available, 1)
    }))

  it.effect("rejects invalid options as a defect", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(TokenBucket.make({ qps: 0 }))
      assert.isTrue(exit._tag === "Failure")
    }))
})
