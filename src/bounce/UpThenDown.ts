// upthendown (paasta-behaviour.md §4.3): bring up a complete new copy first, then drain the whole
// old copy in one step. Needs room for 2 × instances while bouncing.
import type { Planner } from "./Planner.ts"

/**
 * createApp: the new app is not running (and then nothing is drained in the same step).
 * toDrain:   every old task, but only once exactly `instances` new tasks are happy. Exact
 *            equality, as PaaSTA: a surplus of happy tasks means in-place scaling is still going
 *            on, and the scale-down path hands the surplus over as old tasks anyway.
 */
export const upthendown: Planner = ({ instances, newAppRunning, happyNew, oldNonDraining }) => {
  if (!newAppRunning) return { createApp: true, toDrain: [] }
  return { createApp: false, toDrain: happyNew.length === instances ? oldNonDraining : [] }
}
