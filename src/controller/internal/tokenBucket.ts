// Token-bucket arithmetic shared by the work queue's global retry limit and the Marathon write
// limit. Pure: every function takes the bucket and `now` (epoch millis) and returns a new bucket.
// Reservations may drive the balance below zero, as Go's rate.Limiter does: each caller is told
// how long to wait for *its* token, so waiters are served in arrival order without a queue.

export interface BucketConfig {
  /** Tokens added per second. `Infinity` disables the limit. */
  readonly ratePerSecond: number
  /** Bucket size: how many takes may happen at once after a quiet period. */
  readonly burst: number
}

export interface Bucket {
  /** Balance at `updatedAt`; negative while reservations wait for tokens not yet minted. */
  readonly tokens: number
  readonly updatedAt: number
}

export interface Reservation {
  readonly bucket: Bucket
  /** How long the caller must wait before using its token; 0 when one was available. */
  readonly waitMillis: number
}

/** Rejects a rate or burst that would block forever or never limit anything by accident. */
export const validateConfig = (config: BucketConfig): BucketConfig => {
  if (!(config.ratePerSecond > 0) || !(config.burst >= 1) || !Number.isFinite(config.burst)) {
    throw new RangeError(
      `token bucket needs rate > 0 and a finite burst >= 1, got ${config.ratePerSecond}/s, ${config.burst}`
    )
  }
  return config
}

// Rounds away binary-fraction dust (0.1 + 0.9 landing at 0.9999999999999999), so a token that
// is due is not refused for want of 1e-16 of it.
const settle = (tokens: number): number => Math.round(tokens * 1e9) / 1e9

/** A full bucket: a fresh limiter allows a whole burst at once. */
export const full = (config: BucketConfig, now: number): Bucket => ({ tokens: config.burst, updatedAt: now })

/**
 * The bucket as of `now`: tokens minted since `updatedAt`, never above `burst`. A clock that went
 * backwards mints nothing (and keeps the later timestamp), so time skew cannot create tokens.
 */
export const refill = (bucket: Bucket, config: BucketConfig, now: number): Bucket => {
  if (now <= bucket.updatedAt) return bucket
  if (config.ratePerSecond === Infinity) return { tokens: config.burst, updatedAt: now }
  const minted = ((now - bucket.updatedAt) * config.ratePerSecond) / 1000
  return { tokens: Math.min(config.burst, settle(bucket.tokens + minted)), updatedAt: now }
}

/** Takes one token now or in the future; the wait is the time until the balance is back at zero. */
export const reserve = (bucket: Bucket, config: BucketConfig, now: number): Reservation => {
  if (config.ratePerSecond === Infinity) return { bucket: full(config, now), waitMillis: 0 }
  const current = refill(bucket, config, now)
  const tokens = current.tokens - 1
  const waitMillis = tokens >= 0 ? 0 : (-tokens * 1000) / config.ratePerSecond
  return { bucket: { tokens, updatedAt: current.updatedAt }, waitMillis }
}

/** Takes a token only if one is there now; otherwise leaves the bucket as it was. */
export const tryTake = (
  bucket: Bucket,
  config: BucketConfig,
  now: number
): { readonly bucket: Bucket; readonly taken: boolean } => {
  const current = refill(bucket, config, now)
  if (current.tokens < 1) return { bucket: current, taken: false }
  return { bucket: { tokens: current.tokens - 1, updatedAt: current.updatedAt }, taken: true }
}

/**
 * Returns the token of a reservation that will not be used (its waiter was interrupted). Later
 * reservations keep their computed waits; the returned token only lets a future caller in sooner,
 * which never exceeds the rate because the count of tokens spent stays within what was minted.
 */
export const release = (bucket: Bucket, config: BucketConfig, now: number): Bucket => {
  const current = refill(bucket, config, now)
  return { tokens: Math.min(config.burst, settle(current.tokens + 1)), updatedAt: current.updatedAt }
}
