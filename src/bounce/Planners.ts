// The registry of bounce planners, typed by the BounceMethod literal union: adding a method to the
// schema without a planner here is a compile error (PaaSTA's string registry failed at run time).
import type { BounceMethod } from "../domain/Bounce.ts"
import { brutal } from "./Brutal.ts"
import { crossover } from "./Crossover.ts"
import { down } from "./Down.ts"
import { downthenup } from "./DownThenUp.ts"
import type { Planner } from "./Planner.ts"
import { upthendown } from "./UpThenDown.ts"

export const planners: Readonly<Record<BounceMethod, Planner>> = {
  brutal,
  upthendown,
  downthenup,
  crossover,
  down
}
