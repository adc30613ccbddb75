// Connects the controller's reconcile traces to the rollout store: every pass whose root span ends
// is read (PassTrace.ts) and queued for folding. The tap hands spans over synchronously inside the
// tracer; queuing is a synchronous offer, so a pass is never held by it.
import { Effect } from "effect"
import type { Scope } from "effect"
import type { TraceTap } from "../telemetry/TraceTap.ts"
import { passOf } from "./PassTrace.ts"
import { RolloutStore } from "./RolloutStore.ts"

export const recordRollouts = (tap: TraceTap): Effect.Effect<void, never, RolloutStore | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* RolloutStore
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        tap.listen((spans) => {
          const pass = passOf(spans)
          if (pass !== undefined) Effect.runSync(store.record(pass))
        })
      ),
      (stop) => Effect.sync(stop)
    )
  })
