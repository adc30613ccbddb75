// The Stalled verdict (design.md §2 `progressDeadlineSeconds`): a bounce that makes no progress
// for that long is reported Stalled. Pure: the previous mark comes in as data (DrainState) and
// the next mark goes out in the Plan for the controller to persist. Reports only; never aborts.
import { DateTime } from "effect"
import type { ProgressMark } from "./DrainState.ts"

export interface ProgressInput {
  readonly previous: ProgressMark | undefined
  readonly now: DateTime.Utc
  readonly appId: string
  readonly happyNew: number
  readonly remainingOld: number
  /** Steady state or paused: there is nothing to wait for, so the clock restarts. */
  readonly idle: boolean
  readonly deadlineSeconds: number
}

export interface ProgressVerdict {
  readonly mark: ProgressMark
  readonly stalled: boolean
  /** Seconds since the mark was last moved. */
  readonly idleSeconds: number
}

export const progress = (input: ProgressInput): ProgressVerdict => {
  const fresh: ProgressMark = {
    at: input.now,
    appId: input.appId,
    happyNew: input.happyNew,
    remainingOld: input.remainingOld,
    ...(input.idle ? { idle: true } : {})
  }
  const previous = input.previous
  const samePosition = previous !== undefined && previous.appId === input.appId && previous.happyNew === input.happyNew &&
    previous.remainingOld === input.remainingOld
  // Steady and unchanged: keep the mark as it is, so an idle pass leaves status untouched (no write).
  // A bounce that begins after a steady spell starts its deadline clock then, not at the spell's start.
  const moved = input.idle
    ? !(samePosition && previous.idle === true)
    : previous === undefined ||
      previous.idle === true ||
      previous.appId !== input.appId ||
      input.happyNew > previous.happyNew ||
      input.remainingOld < previous.remainingOld
  // Keep the best position reached: losing a task and getting it back is not progress.
  const mark = moved ? fresh : previous!
  const idleSeconds = Math.max(0, (DateTime.toEpochMillis(input.now) - DateTime.toEpochMillis(mark.at)) / 1000)
  return { mark, stalled: !input.idle && idleSeconds >= input.deadlineSeconds, idleSeconds }
}
