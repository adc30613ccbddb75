// How a ServiceInstance moves from its old Marathon app to a new one (paasta-behaviour.md §4).
// None of these fields is part of the Marathon app definition, so changing them never bounces.
import { Schema } from "effect"

export const BounceMethod = Schema.Literals(["crossover", "upthendown", "downthenup", "brutal", "down"])
export type BounceMethod = typeof BounceMethod.Type

export const Bounce = Schema.Struct({
  method: Schema.optionalKey(BounceMethod.annotate({ description: "bounce method", default: "crossover" })),
  marginFactor: Schema.optionalKey(
    Schema.Finite.check(
      Schema.isGreaterThan(0, { message: "must be greater than 0" }),
      Schema.isLessThanOrEqualTo(1, { message: "must be at most 1" })
    ).annotate({
      description: "crossover only: keep ceil(instances × marginFactor) tasks up during the bounce; 0 < f <= 1",
      default: 1
    })
  ),
  minTaskUptimeSeconds: Schema.optionalKey(
    Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
      description: "a task counts as happy only after this long running",
      default: 0
    })
  ),
  progressDeadlineSeconds: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThan(0)).annotate({
      description: "the instance is Stalled after this long without bounce progress",
      default: 600
    })
  )
}).annotate({ description: "Bounce policy" })
export type Bounce = typeof Bounce.Type

export const bounceDefaults = {
  method: "crossover",
  marginFactor: 1,
  minTaskUptimeSeconds: 0,
  progressDeadlineSeconds: 600
} as const
