// The work queue's delayed re-adds (client-go's delaying queue): each key at most once, at its
// earliest ready time and the highest priority asked for it, and one timer fiber that adds what is
// due and sleeps until the next deadline. Time only through Clock, so TestClock drives it.
import type { Clock } from "effect"
import { Duration, Effect } from "effect"
import type { Priority } from "../WorkQueueContract.ts"
import { priorityRank } from "../WorkQueueContract.ts"
import { heapPop, heapPush, type Timed } from "./timerHeap.ts"

interface Delayed {
  readyAt: number
  priority: Priority
}

export const makeDelayedAdds = (clock: Clock.Clock, add: (key: string, priority: Priority) => void) => {
  const delayed = new Map<string, Delayed>()
  const timers: Array<Timed> = []
  let seq = 0
  let timerDeadline = Infinity
  let wakeTimer: (() => void) | undefined

  /** `key` at `readyAt` (epoch ms), unless it is already due sooner. */
  const schedule = (key: string, readyAt: number, priority: Priority): void => {
    const entry = delayed.get(key)
    if (entry !== undefined) {
      if (priorityRank(priority) > priorityRank(entry.priority)) entry.priority = priority
      if (entry.readyAt <= readyAt) return
      entry.readyAt = readyAt
    } else {
      delayed.set(key, { readyAt, priority })
    }
    heapPush(timers, { key, readyAt, seq: ++seq })
    // Only a new earliest deadline needs the timer fiber; later ones are found when it wakes.
    if (readyAt < timerDeadline) {
      timerDeadline = readyAt
      wakeTimer?.()
    }
  }

  // Adds every delayed key that is due; returns when the next one will be.
  const fireDue = (now: number): number => {
    for (;;) {
      const top = timers[0]
      if (top === undefined) return Infinity
      const entry = delayed.get(top.key)
      if (entry !== undefined && entry.readyAt === top.readyAt) {
        if (top.readyAt > now) return top.readyAt
        delayed.delete(top.key)
        add(top.key, entry.priority)
      }
      heapPop(timers)
    }
  }

  // The loser of the sleep/wake race may be cancelled after the next round registered its own
  // wake, so a canceller clears only its own.
  const timerWake = Effect.callback<void>((resume) => {
    const wake = () => {
      if (wakeTimer === wake) wakeTimer = undefined
      resume(Effect.void)
    }
    wakeTimer = wake
    return Effect.sync(() => {
      if (wakeTimer === wake) wakeTimer = undefined
    })
  })

  /** The timer fiber's work: runs until interrupted. */
  const run = Effect.suspend(() => {
    const now = clock.currentTimeMillisUnsafe()
    const next = fireDue(now)
    timerDeadline = next
    if (next === Infinity) return timerWake
    return Effect.raceFirst(Effect.sleep(Duration.millis(next - now)), timerWake)
  }).pipe(Effect.forever)

  /** Drops every pending delay (a shutdown). */
  const clear = () => {
    delayed.clear()
    timers.length = 0
    wakeTimer?.()
  }

  return { schedule, run, clear, size: () => delayed.size }
}
