// crossover (paasta-behaviour.md §4.3, the default): drain an old task only when a new one is
// happy to replace it, keeping at least ceil(instances × marginFactor) tasks that are either happy
// and new or old and still in the load balancer.
import type { Planner } from "./Planner.ts"

/**
 * createApp: the new app is not running.
 * toDrain:   `needed = max(ceil(instances × marginFactor) − happyNew, 0)` old tasks are kept (the
 *            first ones: best first), every other old task is drained.
 *
 * Consequences worth knowing:
 * - draining tasks are not in `oldNonDraining`, so they never count as kept capacity;
 * - the tail goes first: at-risk, then unhappy, then surplus happy tasks;
 * - with marginFactor 1 and no happy new task, old tasks are drained only beyond `instances`;
 *   every new task that becomes happy then frees exactly one more old task;
 * - with marginFactor < 1, up to `instances − ceil(instances × marginFactor)` old tasks are
 *   drained up front to make room in a full cluster.
 */
export const crossover: Planner = ({ instances, newAppRunning, happyNew, oldNonDraining, marginFactor }) => {
  const needed = Math.max(capacityFloor(instances, marginFactor) - happyNew.length, 0)
  return { createApp: !newAppRunning, toDrain: oldNonDraining.slice(needed) }
}

/** ceil(instances × marginFactor), rounded first so float noise (100 × 0.95) cannot add a task. */
export const capacityFloor = (instances: number, marginFactor: number): number => Math.ceil(Number((instances * marginFactor).toFixed(9)))
