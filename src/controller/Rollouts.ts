// Rollouts as the leader sees them in its own status writes, for the deploy metrics
// (telemetry/RolloutMetrics.ts). A rollout is one spec generation: it begins with the first status
// write that carries that generation as observedGeneration, and ends with the first write at that
// generation whose phase is Running or Stopped (Succeeded), Stalled or Invalid (Failed), or when a
// newer generation or the spec's deletion replaces it (Superseded).
//
// Both ends are the `lastReconcile.at` the controller writes into status (the time of the pass,
// on its clock), so a duration can be checked against `mdeploy get -o yaml`. etcd keeps no write
// times, and the first pass that observes a generation follows its write by the watch latency and
// the queue wait; that small lag is left out of the duration.
//
// Only rollouts this leader saw begin are counted: after a failover, a bounce the previous leader
// started ends unmeasured, rather than with a duration that starts at the failover.
import { Clock, DateTime, Effect } from "effect"
import type { InstanceStatus, Phase } from "../domain/InstanceStatus.ts"
import * as RolloutMetrics from "../telemetry/RolloutMetrics.ts"
import { SlowestRollouts } from "../telemetry/SlowestRollouts.ts"
import type { RolloutResult } from "../telemetry/RolloutMetrics.ts"

/** A rollout that has begun and not ended: its generation and when it began (epoch ms). */
export interface InFlight {
  readonly generation: number
  readonly startedMs: number
}

export interface RolloutStep {
  readonly inFlight: InFlight | undefined
  /** Rollouts this write ended, oldest first; `seconds` for a Succeeded one. */
  readonly ended: ReadonlyArray<{ readonly result: RolloutResult; readonly seconds: number | undefined }>
}

const endOf = (phase: Phase | undefined): RolloutResult | undefined =>
  phase === "Running" || phase === "Stopped"
    ? "Succeeded"
    : phase === "Stalled" || phase === "Invalid"
    ? "Failed"
    : undefined

/** The time a status write stands for: its pass's `lastReconcile.at`, else `fallbackMs`. */
export const writtenAtMs = (status: InstanceStatus, fallbackMs: number): number => {
  const at = status.lastReconcile?.at
  const parsed = at === undefined ? undefined : DateTime.make(at)
  return parsed !== undefined && parsed._tag === "Some" ? DateTime.toEpochMillis(parsed.value) : fallbackMs
}

/** Pure: what one status write of an instance does to its rollout. */
export const rolloutStep = (
  inFlight: InFlight | undefined,
  previous: InstanceStatus | undefined,
  next: InstanceStatus,
  atMs: number
): RolloutStep => {
  const generation = next.observedGeneration
  // A pass that failed before planning keeps the old status: nothing about the rollout is known.
  if (generation === undefined) return { inFlight, ended: [] }
  const ended: Array<RolloutStep["ended"][number]> = []
  let current = inFlight
  if (generation > (previous?.observedGeneration ?? 0)) {
    if (current !== undefined && current.generation < generation) ended.push({ result: "Superseded", seconds: undefined })
    current = { generation, startedMs: atMs }
  }
  if (current === undefined || current.generation !== generation) return { inFlight: current, ended }
  const result = endOf(next.phase)
  if (result === undefined) return { inFlight: current, ended }
  ended.push({ result, seconds: result === "Succeeded" ? Math.max(0, atMs - current.startedMs) / 1000 : undefined })
  return { inFlight: undefined, ended }
}

export interface Rollouts {
  /** After this leader wrote `next` over `previous` for `name`. */
  readonly statusWritten: (name: string, previous: InstanceStatus | undefined, next: InstanceStatus) => Effect.Effect<void>
  /** After this leader removed the status of a deleted spec: a rollout still running is Superseded. */
  readonly statusRemoved: (name: string) => Effect.Effect<void>
  /** Rollouts in flight now, by instance (for tests and diagnostics). */
  readonly inFlight: () => ReadonlyMap<string, InFlight>
}

/**
 * How many instances `mdeploy_rollout_last_duration_seconds` shows: ten times what the dashboard's
 * topk(10) reads, so a longer or filtered query still finds its instances; a bound that does not
 * grow with the fleet, so neither does a scrape.
 */
export const slowestShown = 100

/**
 * The rollouts of one leadership term. The in-progress gauge counts this term's rollouts and
 * goes back to 0 when the scope closes: a standby reports none.
 */
export const makeRollouts = Effect.gen(function*() {
  const running = new Map<string, InFlight>()
  const slowest = new SlowestRollouts(slowestShown)
  yield* RolloutMetrics.initialize
  yield* Effect.addFinalizer(() =>
    Effect.andThen(
      RolloutMetrics.setInProgress(0),
      RolloutMetrics.showSlowest({ set: [], removed: slowest.current().map(([name]) => name) })
    )
  )

  const apply = Effect.fnUntraced(function*(name: string, step: RolloutStep) {
    if (step.inFlight === undefined) running.delete(name)
    else running.set(name, step.inFlight)
    for (const end of step.ended) {
      yield* RolloutMetrics.recordRollout(end.result, end.seconds)
      if (end.result === "Succeeded" && end.seconds !== undefined) yield* RolloutMetrics.showSlowest(slowest.record(name, end.seconds))
    }
    yield* RolloutMetrics.setInProgress(running.size)
  })

  const rollouts: Rollouts = {
    statusWritten: Effect.fnUntraced(function*(name, previous, next) {
      const atMs = writtenAtMs(next, yield* Clock.currentTimeMillis)
      yield* apply(name, rolloutStep(running.get(name), previous, next, atMs))
    }),
    statusRemoved: Effect.fnUntraced(function*(name) {
      const ended = running.has(name) ? [{ result: "Superseded" as const, seconds: undefined }] : []
      yield* apply(name, { inFlight: undefined, ended })
      yield* RolloutMetrics.showSlowest(slowest.forget(name))
    }),
    inFlight: () => new Map(running)
  }
  return rollouts
})
