// How long a drain's delay is counted down on the store's clock (design.md §11). The delay itself
// is still decided by the method on wall clocks and by this process's monotonic clock
// (DelayWitness.ts); the countdown only holds a kill back while it runs, for the case those cannot
// catch: a process that meets a drain it did not make, on a host whose clock is ahead.
import type { DrainConfig } from "../plan/DrainState.ts"
import { testDrainDefaultDelaySeconds } from "./TestDrain.ts"

/** hacheck's default: PaaSTA waits four minutes after a task went down before it is killed. */
export const hacheckDefaultDelaySeconds = 240

/**
 * Shorter delays are not counted on the store: etcd grants leases of whole seconds, and of at
 * least two, so a short countdown would outlast the delay it stands for. A wall clock ahead
 * ends such a delay at most its own length early.
 */
export const minCountedDelaySeconds = 5

/** The delay a drain method waits after the drain request, when it waits a fixed time. */
export const drainDelaySeconds = (drain: DrainConfig): number | undefined => {
  switch (drain.method) {
    case "test":
      return drain.params?.delay ?? testDrainDefaultDelaySeconds
    case "hacheck":
      return drain.params?.delay ?? hacheckDefaultDelaySeconds
    case "noop":
    case "http":
      return undefined
  }
}

/**
 * The countdown for a drain, in whole seconds, or undefined when there is none. One second short
 * of the delay: etcd ends a lease up to half a second after its time, and the countdown must not
 * hold back a kill the delay allows; it is there to stop kills that come a delay early, not a
 * second.
 */
export const countdownSeconds = (drain: DrainConfig): number | undefined => {
  const delay = drainDelaySeconds(drain)
  if (delay === undefined || delay < minCountedDelaySeconds) return undefined
  return Math.ceil(delay) - 1
}
