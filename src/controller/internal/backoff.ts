// Per-key retry backoff arithmetic for the work queue: the delay before the next retry of a key
// that has failed `failures` times in a row. Pure: no clock, no state; the queue keeps the counts.
// Curve (client-go's default controller limiter): base × 2^failures, capped, so 5 ms, 10 ms,
// 20 ms … with the defaults, 655.36 s on the 18th failure and the 1000 s cap from the 19th on.

export interface BackoffOptions {
  /** Delay after the first failure, in milliseconds. */
  readonly baseMillis: number
  /** Largest delay ever returned, in milliseconds. */
  readonly maxMillis: number
}

export const defaultBackoff: BackoffOptions = { baseMillis: 5, maxMillis: 1_000_000 }

/** Rejects options that would make every delay zero, negative or NaN: a hot retry loop. */
export const validateBackoff = (options: BackoffOptions): BackoffOptions => {
  if (!(options.baseMillis > 0) || !(options.maxMillis >= options.baseMillis)) {
    throw new RangeError(
      `backoff needs 0 < base <= max, got base ${options.baseMillis} ms, max ${options.maxMillis} ms`
    )
  }
  return options
}

/**
 * Delay before retrying a key that has already been retried `failures` times (0 for the first
 * failure). Large counts overflow 2^n to Infinity; the cap still applies, so the result is finite.
 */
export const backoffMillis = (failures: number, options: BackoffOptions = defaultBackoff): number => {
  const exponent = Math.max(0, Math.floor(failures))
  const delay = options.baseMillis * 2 ** exponent
  return delay < options.maxMillis ? delay : options.maxMillis
}

/** One failure: the delay to wait now and the count to remember for the next one. */
export const recordFailure = (
  failures: number,
  options: BackoffOptions = defaultBackoff
): { readonly delayMillis: number; readonly failures: number } => ({
  delayMillis: backoffMillis(failures, options),
  failures: failures + 1
})
