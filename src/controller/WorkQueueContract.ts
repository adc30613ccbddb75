// What the work queue promises its producers and workers (client-go's contract; see WorkQueue.ts,
// which implements it): the priorities, the options and their defaults, and the operations.
import { Duration } from "effect"
import type { Effect, Option } from "effect"

/**
 * "edit": a user's change (the spec watch). "high": Marathon's task and deployment events. "low":
 * initial list and resync. Edits are handed out before events, events before low keys, and while
 * an edit or an event is being processed, low keys are held back (`lowHold`). Edits go first
 * because a rollout's own events (thousands while 1,000 apps are created) would otherwise share
 * the workers with the edits that start it: every new app waited behind the progress of others.
 */
export type Priority = "edit" | "high" | "low"

/** Which of two priorities is served first. */
export const priorityRank = (priority: Priority): number => priority === "edit" ? 2 : priority === "high" ? 1 : 0

export interface WorkQueueOptions {
  /** The `name` attribute of every metric; one name per queue in a process. Default "mdeploy". */
  readonly name?: string | undefined
  /** Per-key retry delay after the first failure, doubling per further failure. Default 5 ms. */
  readonly baseDelay?: Duration.Input | undefined
  /** Cap of the per-key retry delay. Default 1000 s. */
  readonly maxDelay?: Duration.Input | undefined
  /** Global retry budget: tokens per second shared by all keys. Default 10. */
  readonly retryQps?: number | undefined
  /** Global retry burst. Default 100. */
  readonly retryBurst?: number | undefined
  /**
   * While a high key is being processed, low keys start at most once per this long. Default
   * 100 ms. A user's edit then has the process to itself, not a share of it beside a resync.
   */
  readonly lowHold?: Duration.Input | undefined
}

export const defaults = {
  name: "mdeploy",
  baseDelay: Duration.millis(5),
  maxDelay: Duration.seconds(1000),
  retryQps: 10,
  retryBurst: 100,
  lowHold: Duration.millis(100)
} as const

export interface WorkQueueSnapshot {
  readonly name: string
  /** Keys marked for a run and not yet handed out, parked ones included (`workqueue_depth`). */
  readonly depth: number
  readonly waitingEdit: number
  readonly waitingHigh: number
  readonly waitingLow: number
  /** Keys added during their own run, to be queued again by `done`. */
  readonly parked: number
  readonly processing: number
  /** Keys waiting for an `addAfter` or `addRateLimited` delay. */
  readonly delayed: number
  readonly addsTotal: number
  readonly retriesTotal: number
  readonly unfinishedWorkSeconds: number
  readonly longestRunningProcessorSeconds: number
  readonly shuttingDown: boolean
}

export interface WorkQueue {
  readonly name: string
  /**
   * Marks `key` for a run; priority defaults to "high". A no-op when the key is already marked,
   * except that a high add moves a key waiting at low into the high queue. Ignored after shutdown.
   */
  readonly add: (key: string, priority?: Priority) => Effect.Effect<void>
  /**
   * Adds `key` once `delay` has passed. A key waiting for several delays keeps the earliest and
   * the highest priority. Priority defaults to the one the key is being processed at, else high.
   */
  readonly addAfter: (key: string, delay: Duration.Input, priority?: Priority) => Effect.Effect<void>
  /**
   * Records a failure of `key` and adds it after max(per-key backoff, wait for a token of the
   * global retry bucket). Returns that delay. Priority defaults as for `addAfter`.
   */
  readonly addRateLimited: (key: string, priority?: Priority) => Effect.Effect<Duration.Duration>
  /** Clears the failure count of `key` (after a successful run). Pending delayed adds stay. */
  readonly forget: (key: string) => Effect.Effect<void>
  /** Failures recorded for `key` since its last `forget`. */
  readonly numRequeues: (key: string) => Effect.Effect<number>
  /**
   * Waits, without polling, for the next key and moves it to processing; None once shut down and
   * empty. The caller owes a `done(key)`; `processNext` pays it even on failure or interruption.
   */
  readonly get: Effect.Effect<Option.Option<string>>
  /** Ends the run of `key`; queues it again if it was added meanwhile. No-op unless in processing. */
  readonly done: (key: string) => Effect.Effect<void>
  /** `get`, then `handler`, then `done` whatever happens. None once shut down and empty. */
  readonly processNext: <A, E, R>(
    handler: (key: string) => Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E, R>
  /** Refuses new adds, drops pending delayed adds, wakes every `get`; queued keys are still handed out. */
  readonly shutdown: Effect.Effect<void>
  /** `shutdown`, then waits for no key to be in processing: true if that happened within `timeout`. */
  readonly shutdownWithDrain: (timeout: Duration.Input) => Effect.Effect<boolean>
  readonly isShuttingDown: Effect.Effect<boolean>
  /**
   * Whether `key` is marked for a run or being processed, read without a fiber: a resync that
   * settles idle keys itself leaves these to the queue.
   */
  readonly pendingUnsafe: (key: string) => boolean
  /**
   * Waits until low-priority work done beside the queue may go on, as a low key would start: at
   * once while no high key is in processing; else when the last high run ends, or once the hold
   * since the last low start is over. Going on counts as a low start.
   */
  readonly lowTurn: Effect.Effect<void>
  /** Keys waiting to be handed out now (client-go's Len): parked and delayed keys are not counted. */
  readonly len: Effect.Effect<number>
  /** Counts and ages, after refreshing the two age gauges. */
  readonly snapshot: Effect.Effect<WorkQueueSnapshot>
}
