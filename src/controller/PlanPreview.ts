// What the controller would do next for a spec — without a lock and without doing it: the same
// observation (Marathon apps with tasks, maintenance), the same drain probe and the same pure
// planner as a reconcile, for `mdeploy diff` and for looking at an instance's Marathon side.
import { DateTime, Effect, Option } from "effect"
import { appIdPrefix } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { resolveSpec } from "../domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../domain/ServiceInstanceSpec.ts"
import { probe } from "../drain/DrainProbe.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import { noopDrain } from "../plan/DrainState.ts"
import { observedInstance } from "../plan/Observed.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import * as Plan from "../plan/Plan.ts"
import { StatusStore } from "../store/StatusStore.ts"
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
  const resolved = Option.map(spec, (s) => resolveSpec(name, s))
  const drain = Option.match(resolved, { onNone: () => noopDrain, onSome: (r) => r.drain })
  const status = Option.getOrUndefined(yield* (yield* StatusStore).get(name))
  const drainState = yield* probe(observed, drain, progressFromStatus(status))
  return Plan.make(resolved, observed, drainState, DateTime.toUtc(yield* DateTime.now))
})
