// downthenup (paasta-behaviour.md §4.3): take every old task out of the load balancer first, and
// only then create the new app. "No overlap in the load balancer", not "no overlap in processes":
// once all old tasks are merely draining the new app is created while they still run.
import type { Planner } from "./Planner.ts"

/**
 * createApp: the new app is not running and no old non-draining task is left.
 * toDrain:   all old non-draining tasks.
 */
export const downthenup: Planner = ({ newAppRunning, oldNonDraining }) => ({
  createApp: !newAppRunning && oldNonDraining.length === 0,
  toDrain: oldNonDraining
})
