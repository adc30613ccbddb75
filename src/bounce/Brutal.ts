// brutal (paasta-behaviour.md §4.3): create the new app if missing and drain every old task at
// once, with no health gating. For non-production use; capacity may drop to zero.
import type { Planner } from "./Planner.ts"

/**
 * createApp: the new app is not running.
 * toDrain:   all old non-draining tasks, immediately.
 */
export const brutal: Planner = ({ newAppRunning, oldNonDraining }) => ({
  createApp: !newAppRunning,
  toDrain: oldNonDraining
})
