// A token bucket as an Effect: the controller's global limit on Marathon writes (every create,
// scale, kill and delete takes a token first), separate from the work queue's retry limit.
// Waiting is `Effect.sleep` on the fiber's Clock, so TestClock drives it; the arithmetic lives in
// internal/tokenBucket.ts. Waiters are served in arrival order; an interrupted waiter's token
// goes back into the bucket.
//
//   make(options?)  → Effect<TokenBucket>     defaults: 50 tokens/s, burst 100
//   take            → waits until this caller's token is minted
//   tryTake         → true and a token if one is there now, else false without waiting
//   available       → whole tokens in the bucket now (for tests and status pages)
import { Clock, Duration, Effect } from "effect"
import * as Bucket from "./internal/tokenBucket.ts"

export interface TokenBucketOptions {
  /** Tokens minted per second. Default 50 (Marathon writes per second). */
  readonly qps?: number | undefined
  /** Tokens available at once after a quiet period. Default 100. */
  readonly burst?: number | undefined
}

export const defaultQps = 50
export const defaultBurst = 100

export interface TokenBucket {
  readonly qps: number
  readonly burst: number
  readonly take: Effect.Effect<void>
  readonly tryTake: Effect.Effect<boolean>
  readonly available: Effect.Effect<number>
}

export const make = Effect.fnUntraced(function*(options?: TokenBucketOptions): Effect.fn.Return<TokenBucket> {
  const config = Bucket.validateConfig({
    ratePerSecond: options?.qps ?? defaultQps,
    burst: options?.burst ?? defaultBurst
  })
  const clock = yield* Clock.Clock
  let bucket = Bucket.full(config, clock.currentTimeMillisUnsafe())

  // The reservation is made uninterruptibly, so a token is either handed out or given back.
  const take: Effect.Effect<void> = Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const reservation = Bucket.reserve(bucket, config, clock.currentTimeMillisUnsafe())
      bucket = reservation.bucket
      if (reservation.waitMillis <= 0) return Effect.void
      return restore(Effect.sleep(Duration.millis(reservation.waitMillis))).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            bucket = Bucket.release(bucket, config, clock.currentTimeMillisUnsafe())
          })
        ),
        // A span only when throttled: the trace shows where a write waited for the limit.
        Effect.withSpan("TokenBucket.wait", {
          attributes: { "mdeploy.rate_limit.wait_ms": reservation.waitMillis }
        })
      )
    })
  )

  const tryTake = Effect.sync(() => {
    const result = Bucket.tryTake(bucket, config, clock.currentTimeMillisUnsafe())
    bucket = result.bucket
    return result.taken
  })

  const available = Effect.sync(() => {
    bucket = Bucket.refill(bucket, config, clock.currentTimeMillisUnsafe())
    return Math.max(0, Math.floor(bucket.tokens))
  })

  return { qps: config.ratePerSecond, burst: config.burst, take, tryTake, available }
})
