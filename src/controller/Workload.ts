// How busy a leading controller is, for whoever sizes its resources (the heap: ControllerHeap.ts).
// A term starts "filling" (its caches and Marathon's list come in); it is "settled" once its first
// resync sweep is over, and "busy" while a burst of work runs through the work queue: a mass
// rollout's edits and events, a fleet's worth of creates. A burst is told at once; its end only
// after the queue has been quiet for a while, so that a rollout's short pauses do not flap it.
// The queue is sampled, not instrumented: a snapshot a few times a second costs nothing beside a
// burst, and the steady resync, which settles idle keys without the queue, never counts as one.
import { Clock, Duration, Effect } from "effect"
import type { WorkQueue } from "./WorkQueueContract.ts"

export type Workload = "filling" | "busy" | "settled"

export interface WorkloadOptions {
  /** How often the queue is sampled. */
  readonly sampleEvery?: Duration.Input
  /** Adds in one sample's interval, or keys waiting and in passes at once, that make a burst. */
  readonly burstKeys?: number
  /** How long the queue must stay below that before the burst counts as over. */
  readonly settleAfter?: Duration.Input
}

export const defaultWorkloadOptions = {
  sampleEvery: Duration.millis(250),
  // 100 keys a second: far above a steady fleet's trickle of task events, far below a rollout.
  burstKeys: 25,
  settleAfter: Duration.seconds(2)
} as const

/**
 * Samples `queue` until interrupted, starting settled, and tells `onChange` each change between
 * "busy" and "settled".
 */
export const watchWorkload = (
  queue: WorkQueue,
  onChange: (workload: Workload) => Effect.Effect<void>,
  options: WorkloadOptions = {}
) =>
  Effect.gen(function*() {
    const sampleEvery = Duration.fromInputUnsafe(options.sampleEvery ?? defaultWorkloadOptions.sampleEvery)
    const burstKeys = options.burstKeys ?? defaultWorkloadOptions.burstKeys
    const settleAfterMs = Duration.toMillis(Duration.fromInputUnsafe(options.settleAfter ?? defaultWorkloadOptions.settleAfter))
    let busy = false
    let quietSince: number | undefined
    let addsBefore = (yield* queue.snapshot).addsTotal
    for (;;) {
      yield* Effect.sleep(sampleEvery)
      const sample = yield* queue.snapshot
      const adds = sample.addsTotal - addsBefore
      addsBefore = sample.addsTotal
      const now = yield* Clock.currentTimeMillis
      if (adds >= burstKeys || sample.depth + sample.processing >= burstKeys) {
        quietSince = undefined
        if (!busy) {
          busy = true
          yield* onChange("busy")
        }
      } else if (busy) {
        quietSince ??= now
        if (now - quietSince >= settleAfterMs) {
          busy = false
          yield* onChange("settled")
        }
      }
    }
  })
