// The look before the lock (design.md §4): planned from the watch-fed caches, an idle pass ends
// here at no etcd request, and anything else goes on to a pass under the instance lock with what
// was seen. Nothing here writes (design.md §11 holds: every write is decided again under the lock).
// The look runs without a fiber when everything it needs is in memory, which is the case for
// nearly every instance of a resync (ResyncSweep.ts); else it reads, untraced.
import type { DateTime } from "effect"
import { Effect, Option } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"
import { hasStaleRecords } from "../drain/DrainProbe.ts"
import type { ObservedInstance } from "../plan/Observed.ts"
import type { Plan } from "../plan/Plan.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import type { Desired, DesiredReader } from "./DesiredState.ts"
import type { InstanceObserver } from "./InstanceObserver.ts"
import type { Outcome } from "./Outcome.ts"
import { passEnd } from "./PassEnd.ts"
import type { StateCache } from "./StateCache.ts"
import { statusChanged } from "./StatusUpdate.ts"

/** What a lock-free look reads from the watch-fed cache, without a fiber. */
export type WatchedState = Pick<StateCache, "spec" | "invalidSpec" | "status" | "drainRecords">

/** What a lock-free look at an instance saw, handed to the pass under the lock. */
export interface Peeked {
  readonly stored: StoredInstance
  readonly previous: InstanceStatus | undefined
  readonly seen: { readonly observed: ObservedInstance; readonly plan: Plan; readonly now: DateTime.Utc }
}

/** How a lock-free look ends: nothing to do (the outcome), or a pass under the lock (with what it saw). */
export type Looked =
  | { readonly _tag: "Idle"; readonly outcome: Outcome<never> }
  | {
    readonly _tag: "Busy"
    readonly peeked: Peeked | undefined
    /**
     * Whether the pass will likely create an app (the look's plan does, or an edit not yet acted
     * on): it then takes an app-lifecycle reader with the instance lock, in one transaction.
     */
    readonly mayCreate: boolean
  }

const busyUnseen: Looked = { _tag: "Busy", peeked: undefined, mayCreate: false }
const busyEdit: Looked = { _tag: "Busy", peeked: undefined, mayCreate: true }

export const makeLockFreeLook = <E, R>(parts: {
  readonly watched: WatchedState
  readonly desired: DesiredReader
  readonly readStatus: (name: InstanceName) => Effect.Effect<InstanceStatus | undefined, E, R>
  readonly observer: InstanceObserver
}) => {
  const { watched, desired: desiredReader, readStatus } = parts
  const { observeAndPlan, observeAndPlanNow, placement, createMetUnmanaged } = parts.observer

  /**
   * An idle pass costs no etcd request (design.md §11 still holds: nothing is written): planned
   * from the watch-fed caches, it ends here when there is nothing to do and status would not
   * change. Anything else — an action, a status to write, an unusable or deleted spec — is Busy
   * and decided again under the instance lock.
   */
  const peek = Effect.fnUntraced(function*(name: InstanceName, notBefore: number) {
    const desired = yield* desiredReader.read(name)
    if (desired._tag !== "Spec" || placement(name, desired)?._tag === "Invalid") return busyUnseen
    const previous = yield* readStatus(name)
    // An edit not yet acted on changes status whatever Marathon says: nothing to look at here;
    // the pass reads Marathon once, under the lock.
    if (previous?.observedGeneration !== desired.stored.metadata.generation) return busyEdit
    const records = watched.drainRecords(name)
    const seen = yield* observeAndPlan(name, desired, previous, notBefore, records)
    return verdict(name, desired, previous, seen, records)
  })

  /**
   * `peek` without a fiber, when everything it needs is in memory: the cached spec, status and
   * drain records, a shared list fresh enough, a drain method that answers from the records. An
   * idle resync is thousands of these; undefined leaves the look to `peek`.
   */
  const peekNow = (name: InstanceName, notBefore: number): Looked | undefined => {
    if (watched.invalidSpec(name) !== undefined) return busyUnseen
    const cached = watched.spec(name)
    if (cached === undefined) return undefined
    if (Option.isNone(cached)) return busyUnseen
    const desired = desiredReader.resolve(name, cached.value)
    if (desired._tag !== "Spec" || placement(name, desired)?._tag === "Invalid") return busyUnseen
    const previous = watched.status(name)
    if (previous === false) return undefined
    if (previous?.observedGeneration !== desired.stored.metadata.generation) return busyEdit
    const records = watched.drainRecords(name)
    if (records === undefined) return undefined
    const seen = observeAndPlanNow(name, desired, previous, notBefore, records)
    return seen === undefined ? undefined : verdict(name, desired, previous, seen, records)
  }

  /** Idle when the look's plan does nothing and leaves status as it is; Busy otherwise. */
  const verdict = (
    name: InstanceName,
    desired: Extract<Desired, { readonly _tag: "Spec" }>,
    previous: InstanceStatus | undefined,
    seen: Peeked["seen"],
    records: ReadonlyMap<string, DrainRecord> | undefined
  ): Looked => {
    const busy: Looked = {
      _tag: "Busy",
      peeked: { stored: desired.stored, previous, seen },
      mayCreate: seen.plan.actions.some((action) => action.type === "createApp")
    }
    if (seen.plan.actions.length > 0) return busy
    // A record of a task that is gone is removed by a pass under the lock.
    if (records !== undefined && hasStaleRecords(seen.observed, records)) return busy
    // The same end a pass under the lock would come to (settle), minus its span attributes and
    // trace id: a look is not traced, and lastReconcile's trace id is not a change.
    const ended = passEnd({
      previous,
      plan: seen.plan,
      observed: seen.observed,
      generation: desired.stored.metadata.generation,
      drain: desired.stored.spec.drain,
      executed: { requeueAfterSeconds: seen.plan.requeueAfterSeconds, drainFailures: [], interrupted: undefined },
      now: seen.now,
      traceId: undefined
    })
    if (statusChanged(previous, ended.status)) return busy
    createMetUnmanaged(name, false)
    return { _tag: "Idle", outcome: ended.outcome }
  }

  /**
   * The look: from memory when it can be, else with reads. Not traced: at every resync it would
   * add a trace per instance that says only "nothing to do". A look that fails (Marathon down) is
   * Busy: the pass under the lock tries again and records the failure.
   */
  const look = (name: InstanceName, notBefore: number) => {
    const now = peekNow(name, notBefore)
    if (now !== undefined) return Effect.succeed<Looked>(now)
    return peek(name, notBefore).pipe(Effect.withTracerEnabled(false), Effect.orElseSucceed(() => busyUnseen))
  }

  /** An idle look's outcome when it can be decided in memory, without a fiber; else undefined. */
  const lookNow = (name: InstanceName, notBefore: number): Outcome<never> | undefined => {
    const looked = peekNow(name, notBefore)
    return looked?._tag === "Idle" ? looked.outcome : undefined
  }

  return { look, lookNow }
}
