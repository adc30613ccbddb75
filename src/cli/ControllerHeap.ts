// The controller's heap growth, by phase. bin/mdeploy.js starts the controller with small
// semi-spaces and passes, in MDEPLOY_CONTROLLER_HEAP_GROWTH, how far V8 may let the heap grow over
// what is live once the leader is in sync. While a new leader fills its caches (every spec, status
// and app, listed) its live heap grows by a hundred MB at 10,000 instances: with that limit from
// the start, V8 ran a full collection at every quarter of growth, about ten in a sync of three
// seconds, whose pauses (up to 30 ms) made the sync a third slower and held up users' edits made
// during it. So the limit is set once the first resync sweep is over, and lifted again (V8's own
// growth) when a new term starts to fill its caches. V8 reads the flag at each full collection,
// and one is asked for then (when the process may: bin/mdeploy.js starts it with --expose-gc): a
// resync settled in memory allocates too little to force one soon, and the heap grown while
// filling would otherwise stay (RSS at 10,000 instances 434 MB without it).
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"

const heapGrowthVariable = "MDEPLOY_CONTROLLER_HEAP_GROWTH"

/** The controller's hook for its heap (ControllerConfig's `onInSync`). */
export interface HeapPhases {
  readonly onInSync: (inSync: boolean) => Effect.Effect<void>
}

/**
 * The controller's heap hooks for the growth percentage in `env` (a whole number from 1 to
 * 1000), or undefined when none is set: the heap is then V8's, or the operator's own flags'.
 */
export const heapGrowthByPhase = (
  env: Readonly<Record<string, string | undefined>>,
  setFlags: (flags: string) => void = setFlagsFromString,
  collect: () => void = collectSoon
): HeapPhases | undefined => {
  const raw = env[heapGrowthVariable]
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined
  const percent = Number(raw)
  if (percent < 1 || percent > 1000) return undefined
  return {
    // 0 is V8's default: the growth factor chosen from the measured collection speed.
    onInSync: (inSync) =>
      Effect.sync(() => {
        setFlags(`--heap-growing-percent=${inSync ? percent : 0}`)
        if (inSync) collect()
      }).pipe(
        Effect.andThen(
          inSync
            ? Effect.logInfo("caches in sync: heap growth limited").pipe(Effect.annotateLogs({ heapGrowingPercent: percent }))
            : Effect.logDebug("filling caches: heap growth as V8 chooses")
        )
      )
  }
}

/** A full collection in a task of its own (the sweep that ends does not wait), where gc is exposed. */
const collectSoon = () => {
  globalThis.gc?.({ type: "major", execution: "async" }).catch(() => undefined)
}
