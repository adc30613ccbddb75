// Marathon as one reconcile pass sees one instance: its apps from the shared snapshot (or a fresh
// read of that instance), only this installation's managed apps in view, task ages on this
// process's clock from first sighting (never Marathon's clock against ours, design.md §11), and
// the plan the drain answers make of it. Keeps, per instance, when each task was first seen and
// whether the last create met an app that is not ours.
//
// Shards: the instance lives on its pinned shard or the rendezvous winner (ShardPlacement.ts); its
// apps on every other shard are old apps. A shard that cannot be read is never taken for "no apps"
// (design.md §11): an instance that lives there, or may have apps there, waits and says why.
import { Clock, DateTime, Effect, Option } from "effect"
import { appIdPrefix, isManaged } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import { owns } from "../domain/Ownership.ts"
import type { ResolvedSpec } from "../domain/ResolvedSpec.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"
import type { DrainMethod } from "../drain/DrainMethod.ts"
import { DrainMethods } from "../drain/DrainMethods.ts"
import { probeFromRecords } from "../drain/DrainProbe.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import { defaultShard, placeInstance } from "../domain/ShardPlacement.ts"
import { MarathonShards } from "../marathon/MarathonShards.ts"
import { observedInstance } from "../plan/Observed.ts"
import type { ObservedApp, ObservedInstance } from "../plan/Observed.ts"
import * as Plan from "../plan/Plan.ts"
import type { Sightings } from "../plan/ObservedAge.ts"
import { withObservedStarts } from "../plan/ObservedAge.ts"
import type { Desired } from "./DesiredState.ts"
import type { InstanceView, MarathonSnapshot } from "./MarathonSnapshot.ts"
import { Owner } from "./Owner.ts"
import { ShardUnavailable } from "./ShardSnapshot.ts"
import { planStep } from "./PlanStep.ts"
import { progressFromStatus } from "./StatusUpdate.ts"

const noSightings: Sightings = new Map()

export const makeInstanceObserver = (snapshot: MarathonSnapshot) =>
  Effect.gen(function*() {
    const shards = yield* MarathonShards
    const ownership = yield* Owner
    const drainRecords = yield* DrainRecords
    const drainMethods = yield* DrainMethods
    const clock = yield* Clock.Clock
    // Managed apps of another installation are out of sight; unlabelled ones stay in view (never touched).
    const isForeign = (app: ObservedApp) => isManaged(app.labels) && !owns(ownership, app.labels)
    // When each running task was first seen, per instance: task ages on this process's clock.
    const sightings = new Map<string, Sightings>()
    // Instances whose last create met an app that is not ours: look for it next time.
    const lookForUnmanaged = new Set<string>()

    /** The drain answers for what was observed, and the plan they make (records: see `probe`). */
    const planFor = (
      observed: ObservedInstance,
      desired: Desired,
      previous: InstanceStatus | undefined,
      records?: ReadonlyMap<string, DrainRecord>,
      readRecords?: ReadonlyMap<string, DrainRecord>
    ) =>
      planStep({
        observed,
        spec: desired._tag === "Spec" ? Option.some(desired.spec) : Option.none<ResolvedSpec>(),
        lastDrain: previous?.drain,
        progress: progressFromStatus(previous),
        ...(records === undefined ? {} : { records }),
        ...(readRecords === undefined ? {} : { readRecords })
      })

    /** Where the instance lives: a spec's pin or the rendezvous winner; a deleted spec lives nowhere. */
    const placement = (name: InstanceName, desired: Desired) =>
      desired._tag === "Spec" ? placeInstance(name, shards.current, desired.spec.marathonShard) : undefined

    /** Marathon as of `notBefore` or later (and when that read started), the drain answers, and the plan they make. */
    const observeAndPlan = Effect.fnUntraced(function*(
      name: InstanceName,
      desired: Desired,
      previous: InstanceStatus | undefined,
      notBefore: number,
      records?: ReadonlyMap<string, DrainRecord>
    ) {
      const placed = placement(name, desired)
      // The Reconciler never plans an instance whose pin is invalid; this is the guard of last resort.
      const shard = placed?._tag === "Placed" ? placed.shard : undefined
      // Without the watch's records (under the lock) they are read from etcd: beside Marathon, not
      // after it. A lock-free look has them, and forks nothing.
      const [view, readRecords] = records === undefined
        ? yield* Effect.all([snapshot.forInstance(name, notBefore), drainRecords.list(name)], { concurrency: 2 })
        : [yield* snapshot.forInstance(name, notBefore), undefined]
      const blocking = view.unavailable.find((down) => down.shard === shard || down.mayHaveApps)
      if (blocking !== undefined) {
        // One Marathon: its own error, as always. Several: which shard holds the instance up, and why.
        if (shards.shards.length === 1) return yield* Effect.fail(blocking.error)
        const why = blocking.shard === shard ? "it lives there" : "it may have apps there"
        return yield* new ShardUnavailable({
          shard: blocking.shard,
          message: `Marathon shard ${blocking.shard} cannot be read (${blocking.error.message}) and ${why}: waiting for it`
        })
      }
      let apps: ReadonlyArray<ObservedApp> = view.apps
      const target = shards.client(shard)
      if (lookForUnmanaged.has(name) && target !== undefined) {
        const all = yield* target.listAppsById(appIdPrefix(name))
        const tagged = shard === undefined || shard === defaultShard ? all : all.map((app) => ({ ...app, shard }))
        apps = [...apps, ...tagged.filter((app) => !apps.some((known) => known.id === app.id && known.shard === app.shard))]
      }
      const observed = observe(name, { ...view, apps }, shard, yield* Clock.currentTimeMillis)
      const { plan, now } = yield* planFor(observed, desired, previous, records, readRecords)
      return { plan, observed, now, readAt: view.readAt }
    })

    /** The instance as `view` shows it, its tasks aged from their first sighting (kept for the next pass). */
    const observe = (name: InstanceName, view: Pick<InstanceView, "apps" | "drainingHosts">, shard: string | undefined, nowMs: number) => {
      const aged = withObservedStarts(
        observedInstance(name, view.apps, view.drainingHosts, isForeign, shard),
        sightings.get(name) ?? noSightings,
        nowMs
      )
      if (aged.sightings.size === 0) sightings.delete(name)
      else sightings.set(name, aged.sightings)
      return aged.observed
    }

    // The drain method of each resolved spec, made once (a resync looks at every instance: a
    // method made per look was a visible part of its allocations). Dropped with the spec.
    const methods = new WeakMap<ResolvedSpec, DrainMethod>()
    const methodOf = (spec: ResolvedSpec) => {
      let method = methods.get(spec)
      if (method === undefined) {
        method = drainMethods.forInstance(spec.name, spec.drain)
        methods.set(spec, method)
      }
      return method
    }

    /**
     * `observeAndPlan` of a usable spec without a fiber, for a lock-free look: from the shared list
     * and the watch's drain records alone. Undefined when that is not enough (a read to make, a
     * drain backend to ask, a task draining): then `observeAndPlan` decides.
     */
    const observeAndPlanNow = (
      name: InstanceName,
      desired: Extract<Desired, { readonly _tag: "Spec" }>,
      previous: InstanceStatus | undefined,
      notBefore: number,
      records: ReadonlyMap<string, DrainRecord>
    ) => {
      if (lookForUnmanaged.has(name)) return undefined
      const view = snapshot.forInstanceNow(name, notBefore)
      if (view === undefined) return undefined
      const placed = placement(name, desired)
      const nowMs = clock.currentTimeMillisUnsafe()
      const observed = observe(name, view, placed?._tag === "Placed" ? placed.shard : undefined, nowMs)
      const drain = desired.spec.drain
      const drainState = probeFromRecords(observed, drain, methodOf(desired.spec), progressFromStatus(previous), records)
      if (drainState === undefined) return undefined
      const now = DateTime.toUtc(DateTime.makeUnsafe(nowMs))
      return { observed, plan: Plan.make(Option.some(desired.spec), observed, drainState, now), now, readAt: view.readAt }
    }

    /** After a create: whether it met an app of that id that is not ours (look for it next time). */
    const createMetUnmanaged = (name: InstanceName, met: boolean) => {
      if (met) lookForUnmanaged.add(name)
      else lookForUnmanaged.delete(name)
    }

    return { planFor, observeAndPlan, observeAndPlanNow, createMetUnmanaged, placement }
  })

/** One reconciler's view of Marathon per instance. */
export type InstanceObserver = Effect.Success<ReturnType<typeof makeInstanceObserver>>
