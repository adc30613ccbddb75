// A drain delay ends at a moment on a wall clock that is not this process's monotonic clock: the
// drain record's requestedAt (the wall clock of the controller that drained the task) plus the
// delay, or hacheck's "down since" (the wall clock of the task's host) plus the delay. Compared
// with this host's wall clock alone, a step forward of that clock (NTP, a hypervisor resuming a
// paused machine) would end every delay at once, and tasks still serving traffic would be killed.
// So a delay is also counted on the monotonic clock, from the first time this process asked about
// it: what was left of the delay then must have passed on the monotonic clock before the task
// counts as safe to kill. A step back of the wall clock needs nothing here: the method's own
// answer is "not yet" for longer, which is safe. What this cannot catch is a clock that was
// already ahead when the question was first asked (a new leader on a host whose clock runs
// ahead): the wall clock is then all there is.
import { Clock, DateTime, Effect } from "effect"
import type { SafeToKill } from "./DrainMethod.ts"

/** The moment a delay was first asked about, on both clocks, and where it ended then. */
interface Witnessed {
  readonly safeAtMs: number
  readonly firstWallMs: number
  readonly firstMonotonicMs: number
}

/**
 * Delays are forgotten this long after they ended on the monotonic clock: their tasks have long
 * been killed, or their drains reverted. Asked again after that, a delay that has ended on the
 * wall clock is owed nothing, which is right for a delay that old.
 */
export const forgetAfterMs = 60 * 60 * 1000

export interface DelayWitness {
  /**
   * The method's answer for `taskId`, held back while what was left of its delay when first asked
   * about has not yet passed on the monotonic clock. Answers without a safeAt (a backend that
   * decides alone) pass as they are.
   */
  readonly confirm: (taskId: string, answer: SafeToKill) => Effect.Effect<SafeToKill>
}

const monotonicMs = (clock: Clock.Clock) => Number(clock.monotonicTimeNanosUnsafe()) / 1_000_000

/** One per process: the delays it has witnessed are its own memory. */
export const makeDelayWitness = (): DelayWitness => {
  const witnessed = new Map<string, Witnessed>()
  let prunedAt = Number.NEGATIVE_INFINITY
  const prune = (nowMonotonicMs: number) => {
    if (nowMonotonicMs - prunedAt < forgetAfterMs / 60) return
    prunedAt = nowMonotonicMs
    for (const [taskId, seen] of witnessed) {
      const owed = Math.max(0, seen.safeAtMs - seen.firstWallMs)
      if (nowMonotonicMs - seen.firstMonotonicMs > owed + forgetAfterMs) witnessed.delete(taskId)
    }
  }
  return {
    confirm: (taskId, answer) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          if (answer.safeAt === undefined) return answer
          const safeAtMs = DateTime.toEpochMillis(answer.safeAt)
          const wallMs = clock.currentTimeMillisUnsafe()
          const nowMonotonicMs = monotonicMs(clock)
          prune(nowMonotonicMs)
          let seen = witnessed.get(taskId)
          // A new drain of the task (a new requestedAt, a new "down since") is a new delay.
          if (seen === undefined || seen.safeAtMs !== safeAtMs) {
            seen = { safeAtMs, firstWallMs: wallMs, firstMonotonicMs: nowMonotonicMs }
            witnessed.set(taskId, seen)
          }
          if (!answer.safe) return answer
          const owed = seen.safeAtMs - seen.firstWallMs
          const waited = nowMonotonicMs - seen.firstMonotonicMs
          if (waited >= owed) return answer
          // Not yet: the plan requeues for when the monotonic clock will have counted the rest.
          return { safe: false, safeAt: DateTime.makeUnsafe(wallMs + (owed - waited)) }
        })
      )
  }
}
