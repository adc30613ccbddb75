// A drain delay ends at a moment on a wall clock that is not this process's monotonic clock: the
// drain record's requestedAt (the wall clock of the controller that drained the task) plus the
// delay, or hacheck's "down since" (the wall clock of the task's host) plus the delay. Compared
// with this host's wall clock alone, a step forward of that clock (NTP, a hypervisor resuming a
// paused machine) would end every delay at once, and tasks still serving traffic would be killed.
// So a delay is also counted on the monotonic clock, from the first time this process asked about
// it: what was left of the delay then must have passed on the monotonic clock before the task
// counts as safe to kill. A task this process drained itself is counted from its drain, so a step
// between the drain and the first question changes nothing either. A step back of the wall clock
// needs nothing here: the method's own answer is "not yet" for longer, which is safe. What this
// cannot catch is a clock that was already ahead when a process first met a drain it did not
// make (a new leader on a host whose clock runs ahead): the countdown on etcd's clock
// (DelayCountdown.ts, held to by the Executor's kills) is there for that.
import { Clock, DateTime, Effect } from "effect"
import type { SafeToKill } from "./DrainMethod.ts"

/**
 * The moment a delay began for this process, on both clocks (its drain, or the first question
 * about it), and where it ends (undefined: drained, not asked about yet).
 */
interface Witnessed {
  readonly safeAtMs: number | undefined
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
  /** This process drained `taskId` now: its delay is counted from here. */
  readonly drained: (taskId: string) => Effect.Effect<void>
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
      const owed = Math.max(0, (seen.safeAtMs ?? seen.firstWallMs) - seen.firstWallMs)
      if (nowMonotonicMs - seen.firstMonotonicMs > owed + forgetAfterMs) witnessed.delete(taskId)
    }
  }
  return {
    drained: (taskId) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const firstMonotonicMs = monotonicMs(clock)
          prune(firstMonotonicMs)
          witnessed.set(taskId, { safeAtMs: undefined, firstWallMs: clock.currentTimeMillisUnsafe(), firstMonotonicMs })
        })
      ),
    confirm: (taskId, answer) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          if (answer.safeAt === undefined) return answer
          const safeAtMs = DateTime.toEpochMillis(answer.safeAt)
          const wallMs = clock.currentTimeMillisUnsafe()
          const nowMonotonicMs = monotonicMs(clock)
          prune(nowMonotonicMs)
          let seen = witnessed.get(taskId)
          if (seen !== undefined && seen.safeAtMs === undefined) {
            // Drained here: the delay began at the drain.
            seen = { ...seen, safeAtMs }
            witnessed.set(taskId, seen)
          } else if (seen === undefined || seen.safeAtMs !== safeAtMs) {
            // Not drained here, or a new drain of the task (a new requestedAt, a new "down since").
            seen = { safeAtMs, firstWallMs: wallMs, firstMonotonicMs: nowMonotonicMs }
            witnessed.set(taskId, seen)
          }
          if (!answer.safe) return answer
          const owed = safeAtMs - seen.firstWallMs
          const waited = nowMonotonicMs - seen.firstMonotonicMs
          if (waited >= owed) return answer
          // Not yet: the plan requeues for when the monotonic clock will have counted the rest.
          return { safe: false, safeAt: DateTime.makeUnsafe(wallMs + (owed - waited)) }
        })
      )
  }
}
