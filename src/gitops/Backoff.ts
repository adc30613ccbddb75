// Pure timing of a source's syncs: the poll interval with ±5 % jitter, and after failures an
// exponential backoff from 750 ms doubling to 15 min (Flux's model), so a broken remote is asked
// less and less often but never forgotten.
export const backoffBaseMs = 750
export const backoffMaxMs = 15 * 60_000

/** Delay before the next attempt after `failures` consecutive failures (≥ 1). */
export const backoffMs = (failures: number): number => Math.min(backoffBaseMs * 2 ** Math.max(0, failures - 1), backoffMaxMs)

/** The poll delay: `intervalMs` ±5 %, `random` in [0, 1). */
export const jitteredMs = (intervalMs: number, random: number): number => Math.round(intervalMs * (0.95 + 0.1 * random))

/** What comes next: the backoff after a failure, the jittered interval after a success. */
export const nextDelayMs = (failures: number, intervalMs: number, random: number): number =>
  failures > 0 ? backoffMs(failures) : jitteredMs(intervalMs, random)
