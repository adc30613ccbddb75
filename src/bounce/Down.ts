// down (paasta-behaviour.md §4.3): drain every old task and never create anything. Used to take
// an instance out of service, and by Plan for a deleted instance (tear-down).
import type { Planner } from "./Planner.ts"

/**
 * createApp: never.
 * toDrain:   all old non-draining tasks.
 */
export const down: Planner = ({ oldNonDraining }) => ({
  createApp: false,
  toDrain: oldNonDraining
})
