// noop drain (paasta-behaviour.md §5.2): nothing to take out of a load balancer; never draining,
// always safe, so old tasks are drained and killed in the same pass.
import { Effect } from "effect"
import type { DrainMethod } from "./DrainMethod.ts"

export const makeNoopDrain = (): DrainMethod => ({
  name: "noop",
  safeOnDrain: true,
  drain: () => Effect.void,
  stopDraining: () => Effect.void,
  drainingFromRecord: () => false,
  isDraining: () => Effect.succeed(false),
  isSafeToKill: () => Effect.succeed({ safe: true })
})
