// A resync that settles idle keys itself, without the queue. A resync hands thousands of keys over
// at once, nearly all of them converged; through the queue each costs a worker's turn of the
// Effect runtime just to hear "nothing to do". Here a lock-free look from memory
// (Reconciler.lookNow) settles such a key on the spot, with the metrics and queue bookkeeping a
// worker's pass would leave (Workers.makeAfterPass). Only the keys it cannot settle go to the
// queue, at low priority: work to do, a read to make, a key the queue already has (queued or in a
// pass: never two passes of one key at once). The looks run in short slices with a turn of the
// event loop between them, and while an edit's or an event's pass is queued or runs, a slice
// starts only as a low key would (WorkQueue's hold): that pass and the etcd and Marathon answers it
// waits for are not held behind a resync.
import { Clock, Effect } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { Outcome } from "./Outcome.ts"
import type { Reconciler } from "./Reconciler.ts"
import type { WorkQueue } from "./WorkQueueContract.ts"

export interface ResyncSweepConfig {
  readonly queue: WorkQueue
  /** Per key, the instant (epoch ms) Marathon's state must be from (see WorkersConfig). */
  readonly freshAfter: ReadonlyMap<string, number>
  readonly lookNow: Reconciler["Service"]["lookNow"]
  /** What follows a pass (metrics, the queue told what comes next): the workers' own. */
  readonly afterPass: (name: string, outcome: Outcome, seconds: number) => Effect.Effect<void>
  /** The same for passes that ended Done, many at once (the most common end of a look). */
  readonly afterDonePasses: (names: ReadonlyArray<string>, seconds: ReadonlyArray<number>) => Effect.Effect<void>
}

/** The longest run of looks between two turns of the event loop (real time: it shares the loop). */
export const sliceMs = 2

/** One turn of the event loop: I/O callbacks and timers that are due run first. */
const nextTurn = Effect.callback<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** Looks at every key of `names`: settles the idle ones, queues the others (low). Returns how many it settled. */
export const sweepResync = (config: ResyncSweepConfig, names: Iterable<string>) =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    let settled = 0
    let sliceStart = performance.now()
    // The slice's looks that ended Done, settled together at the slice's end.
    let done: Array<string> = []
    let doneSeconds: Array<number> = []
    const settleDone = Effect.suspend(() => {
      const names = done
      const seconds = doneSeconds
      done = []
      doneSeconds = []
      return config.afterDonePasses(names, seconds)
    })
    for (const name of names) {
      const started = clock.currentTimeMillisUnsafe()
      const outcome = config.queue.pendingUnsafe(name)
        ? undefined
        : config.lookNow(name as InstanceName, config.freshAfter.get(name) ?? 0)
      if (outcome === undefined) yield* config.queue.add(name, "low")
      else {
        const seconds = (clock.currentTimeMillisUnsafe() - started) / 1000
        if (outcome._tag === "Done") {
          done.push(name)
          doneSeconds.push(seconds)
        } else yield* config.afterPass(name, outcome, seconds)
        settled++
      }
      if (performance.now() - sliceStart >= sliceMs) {
        yield* settleDone
        yield* nextTurn
        // The fibers that turn's callbacks woke (a watch event's consumer, a pass's answer) run
        // before the next slice, not after it.
        yield* Effect.yieldNow
        // While an edit's or an event's pass is queued or runs, the sweep holds back as low keys
        // do: checked last, so that an edit that came in during the turn is seen.
        yield* config.queue.lowTurn
        sliceStart = performance.now()
      }
    }
    yield* settleDone
    return settled
  })
