// The controller's heap growth, by workload (src/controller/Workload.ts). bin/mdeploy.js starts
// the controller with small semi-spaces and passes, in MDEPLOY_CONTROLLER_HEAP_GROWTH, how far V8
// may let the heap grow over what is live while the leader is settled. While a new leader fills
// its caches (every spec, status and app, listed) its live heap grows by a hundred MB at 10,000
// instances: with that limit from the start, V8 ran a full collection at every quarter of growth,
// about ten in a sync of three seconds, whose pauses (up to 30 ms) made the sync a third slower and
// held up users' edits made during it. So the limit is set once the first resync sweep is over,
// and lifted again (V8's own growth) when a new term starts to fill its caches. A burst of work (a
// mass rollout) keeps much more alive than a settled resync too: under the settled limit a
// lifted rollout of 1,000 instances cost its controller 12.1–14.9 s of CPU, against 11.1–11.5 s
// with twice that limit (4 runs against 2; 10.7–11.7 s with four times it, 10.7–10.9 s with V8's
// own growth, for 240 and 335 MB of RSS at the peak against 200). So a burst gets twice the
// limit, and the settled limit comes back, with a full collection, once the burst is over. V8
// reads the flag at each full collection, and one is asked for on settling (when the process
// may: bin/mdeploy.js starts it with --expose-gc): a resync settled in memory allocates too little
// to force one soon, and the heap grown meanwhile would otherwise stay (RSS at 10,000 instances
// 434 MB without it). After a new leader's sync it is asked for a little later, not on the spot:
// its pause (19 ms at 1,000 instances) fell on the first moments of the term, when users' edits
// held back by the failover come in, and on whoever was waiting to see the sync end.
import { Duration, Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import type { Workload } from "../controller/Workload.ts"

const heapGrowthVariable = "MDEPLOY_CONTROLLER_HEAP_GROWTH"

/** The controller's hook for its heap (ControllerConfig's `onWorkload`). */
export interface HeapPhases {
  readonly onWorkload: (workload: Workload) => Effect.Effect<void>
}

/** How long after a new leader's sync its full collection is asked for. */
export const afterSyncCollection = Duration.seconds(2)

/** The growth a burst of work may use, for a settled limit of `percent`: twice that limit. */
export const burstGrowthPercent = (percent: number) => Math.min(2 * percent, 1000)

/**
 * The controller's heap hooks for the growth percentage in `env` (a whole number from 1 to
 * 1000), or undefined when none is set: the heap is then V8's, or the operator's own flags'.
 */
export const heapGrowthByPhase = (
  env: Readonly<Record<string, string | undefined>>,
  setFlags: (flags: string) => void = setFlagsFromString,
  collect: (reduceMemory: boolean) => void = collectSoon
): HeapPhases | undefined => {
  const raw = env[heapGrowthVariable]
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined
  const percent = Number(raw)
  if (percent < 1 || percent > 1000) return undefined
  // 0 is V8's default: the growth factor chosen from the measured collection speed.
  const growth = { filling: 0, busy: burstGrowthPercent(percent), settled: percent }
  let previous: Workload | undefined
  return {
    onWorkload: (workload) =>
      Effect.suspend(() => {
        setFlags(`--heap-growing-percent=${growth[workload]}`)
        const afterBurst = previous === "busy"
        previous = workload
        if (workload !== "settled") return Effect.void
        if (afterBurst) return Effect.sync(() => collect(true))
        // Detached: the sweep that settled does not wait, and a term that ends meanwhile loses nothing.
        return Effect.sleep(afterSyncCollection).pipe(Effect.andThen(Effect.sync(() => collect(false))), Effect.forkDetach, Effect.asVoid)
      }).pipe(
        Effect.andThen(
          (workload === "settled"
            ? Effect.logInfo("settled: heap growth limited")
            : Effect.logDebug(workload === "busy" ? "busy: heap growth raised" : "filling caches: heap growth as V8 chooses"))
            .pipe(Effect.annotateLogs({ heapGrowingPercent: growth[workload] }))
        )
      )
  }
}

/**
 * A full collection in a task of its own (the sweep that ends does not wait), where gc is exposed.
 * After a burst it is V8's memory-reducing one (a few collections in a row, pages given back):
 * the heap a burst grew would otherwise stay committed (RSS 5 s after a rollout of 1,000
 * instances: 150–160 MB against 200; at 10,000 instances settled after their creation, 303 MB
 * twice against 337 and 350 with a plain one, the CPU per resync alike).
 * After a new leader's sync, a plain one: no burst came before it, and the longer pause (about
 * twice a plain one's) would fall on the users' edits that follow a failover.
 */
const collectSoon = (reduceMemory: boolean) => {
  globalThis.gc?.({ type: "major", execution: "async", ...(reduceMemory ? { flavor: "last-resort" as const } : {}) })
    .catch(() => undefined)
}
