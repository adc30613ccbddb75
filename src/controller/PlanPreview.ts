// What the controller would do next for a spec — without a lock and without doing it: the same
// observation (Marathon apps with tasks, maintenance), the same drain probe and the same pure
// planner as a reconcile, for `mdeploy diff` and for looking at an instance's Marathon side.
import { Effect, Option } from "effect"
import { appIdPrefix } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { resolveSpec } from "../domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../domain/ServiceInstanceSpec.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import { observedInstance } from "../plan/Observed.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import { StatusStore } from "../store/StatusStore.ts"
import { planStep } from "./PlanStep.ts"
import { progressFromStatus } from "./StatusUpdate.ts"

/** Every app under the instance's id prefix, managed or not, with tasks. */
export const observeInstance = Effect.fn("PlanPreview.observe")(function*(name: InstanceName) {
  const marathon = yield* MarathonClient
  const apps: ReadonlyArray<ObservedApp> = yield* marathon.listAppsById(appIdPrefix(name))
  const drainingHosts = yield* (yield* MesosMaintenance).drainingHosts
  return observedInstance(name, apps, drainingHosts)
})

/** The plan a reconcile would compute now for `spec` (None: the instance deleted). */
export const previewPlan = Effect.fn("PlanPreview.plan")(function*(
  name: InstanceName,
  spec: Option.Option<ServiceInstanceSpec>
) {
  const observed = yield* observeInstance(name)
  const status = Option.getOrUndefined(yield* (yield* StatusStore).get(name))
  const { plan } = yield* planStep({
    observed,
    spec: Option.map(spec, (s) => resolveSpec(name, s)),
    lastDrain: status?.drain,
    progress: progressFromStatus(status)
  })
  return plan
})
