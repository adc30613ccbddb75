// Task age for trust decisions, on one clock (design.md §11). Marathon's `startedAt` comes from
// Marathon's clock and `now` from the controller's: with Marathon 15 s behind, a task that never
// passed a check looked old enough to be trusted. So each running task gets `runningSince`, the
// moment this process first saw it running, on the clock `now` comes from. Never earlier than the
// truth, so ages are lower bounds: after a restart, trust in tasks without health results (and
// minTaskUptimeSeconds) takes a little longer, never less. Marathon's `startedAt` still orders
// tasks (one clock there). Pure: the caller keeps the sightings between passes.
import { DateTime } from "effect"
import type { ObservedInstance } from "./Observed.ts"

/** Task id → when (epoch ms, the caller's clock) it was first seen running. */
export type Sightings = ReadonlyMap<string, number>

export const withObservedStarts = (
  observed: ObservedInstance,
  previous: Sightings,
  nowMs: number
): { readonly observed: ObservedInstance; readonly sightings: Sightings } => {
  const sightings = new Map<string, number>()
  const apps = observed.apps.map((app) => ({
    ...app,
    tasks: app.tasks.map((task) => {
      if (task.startedAt === undefined || task.state !== "TASK_RUNNING") return task
      const seen = previous.get(task.id) ?? nowMs
      sightings.set(task.id, seen)
      return { ...task, runningSince: DateTime.toUtc(DateTime.makeUnsafe(seen)) }
    })
  }))
  return { observed: { ...observed, apps }, sightings }
}
