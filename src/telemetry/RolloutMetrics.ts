// Deploy metrics: how many rollouts end and how, how long they take, how many run now. Recorded
// by the leader (controller/Rollouts.ts) for the rollouts it saw begin. A rollout is one spec
// generation, from the leader's first status write that carries it to the first that finds it
// Running (Rollouts.ts and the README's controller section have the exact definition).
// This module must never import `@opentelemetry/*`: the controller records these on every pass.
import { Effect, Metric } from "effect"
import type { SeriesChanges } from "./SlowestRollouts.ts"

/** How a rollout ended; the `result` label of `mdeploy_rollouts_total`. */
export type RolloutResult = "Succeeded" | "Failed" | "Superseded"
export const rolloutResults: ReadonlyArray<RolloutResult> = ["Succeeded", "Failed", "Superseded"]

// Seconds. An instance whose tasks start at once converges in a few passes; a large crossover
// bounce with drains takes tens of minutes.
const rolloutBoundaries = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200]

export const rolloutsTotal = Metric.counter("mdeploy_rollouts_total", {
  description:
    "Rollouts (spec generations) by how they ended: Succeeded, Failed (Stalled or Invalid), Superseded (a newer generation or a deletion came first)",
  incremental: true
})
export const rolloutDuration = Metric.histogram("mdeploy_rollout_duration_seconds", {
  description: "Seconds from the first status write of a spec generation to the first that found it Running or Stopped (lead time)",
  boundaries: rolloutBoundaries
})
export const rolloutsInProgress = Metric.gauge("mdeploy_rollouts_in_progress", {
  description: "Rollouts this leader saw begin that have not ended yet"
})
// One series for each of the slowest instances (SlowestRollouts.ts chooses them; the per-term
// state is in controller/Rollouts.ts): it names them, which no label of the histogram above may
// (an instance label there would multiply its ~16 series per instance).
// `mdeploy_instance`, not `instance`, which Prometheus sets to the scrape target.
export const rolloutLastDuration = Metric.gauge("mdeploy_rollout_last_duration_seconds", {
  description: "Seconds the last successful rollout took, for the slowest instances (label mdeploy_instance)"
})

/** Counts one ended rollout; a successful one also counts its duration. */
export const recordRollout = (result: RolloutResult, seconds: number | undefined): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Metric.update(Metric.withAttributes(rolloutsTotal, { result }), 1)
    if (seconds !== undefined) yield* Metric.update(rolloutDuration, seconds)
  })

/** Applies SlowestRollouts' changes to the per-instance series. */
export const showSlowest = (changes: SeriesChanges): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (const name of changes.removed) yield* Metric.remove(Metric.withAttributes(rolloutLastDuration, { mdeploy_instance: name }))
    for (const [name, seconds] of changes.set) {
      yield* Metric.update(Metric.withAttributes(rolloutLastDuration, { mdeploy_instance: name }), seconds)
    }
  })

/** Sets the in-progress gauge. */
export const setInProgress = (count: number): Effect.Effect<void> => Metric.update(rolloutsInProgress, count)

/** Zeroes for every result and the gauge, so rates and ratios have series from the first scrape. */
export const initialize: Effect.Effect<void> = Effect.gen(function*() {
  for (const result of rolloutResults) {
    // The counters are incremental: adding 0 creates the series and keeps an earlier term's count.
    yield* Metric.update(Metric.withAttributes(rolloutsTotal, { result }), 0)
  }
  yield* Metric.update(rolloutsInProgress, 0)
})
