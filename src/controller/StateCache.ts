// The controller's in-memory copy of specs, statuses and drain records, kept current by etcd watches
// (client-go's informer cache), so a steady reconcile reads nothing from etcd. Every replica keeps
// one from its start, standby or not (Controller.ts): a new leader begins with it listed. Every
// entry carries the etcd revision it reflects: a watch event older than what a write-through
// already put is ignored, so the cache never goes back in time. Until a prefix has been listed
// once, reads fall through to etcd.
import { Deferred, Effect, Option, Schema, Stream } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"
import { DrainRecordJson } from "../drain/DrainRecord.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { informer } from "../store/Informer.ts"
import { makeKeys } from "../store/Keys.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import { parseStored } from "../store/SpecStore.ts"
import { parseStatus } from "../store/StatusStore.ts"
import { RevisionedMap } from "./internal/revisionedMap.ts"

const decodeDrainRecord = Schema.decodeUnknownOption(DrainRecordJson)
const noRecords: ReadonlyMap<string, DrainRecord> = new Map()

export interface StateCache {
  /** Names with a spec; meaningful once `specsSynced`. */
  readonly specNames: () => ReadonlyArray<string>
  readonly specsSynced: () => boolean
  /** Names whose stored spec cannot be decoded, with why: never "deleted" (design.md §11). */
  readonly invalidSpec: (name: InstanceName) => string | undefined
  readonly invalidNames: () => ReadonlyArray<string>
  /** Names with a status; meaningful once `statusesSynced`. */
  readonly statusNames: () => ReadonlyArray<string>
  readonly statusesSynced: () => boolean
  /**
   * Completes once specs, statuses and drain records have all been listed (client-go's
   * WaitForCacheSync): from then on a lock-free look reads nothing from etcd.
   */
  readonly synced: Effect.Effect<void>
  /** The cached spec, or None; undefined when the cache cannot answer yet (read etcd). */
  readonly spec: (name: InstanceName) => Option.Option<StoredInstance> | undefined
  /** The cached status (undefined value: none); `false` when the cache cannot answer yet. */
  readonly status: (name: InstanceName) => InstanceStatus | undefined | false
  /**
   * The instance's drain records as the watch last showed them; undefined until listed once. Only
   * for lock-free looks: a pass under the lock reads them from etcd.
   */
  readonly drainRecords: (name: InstanceName) => ReadonlyMap<string, DrainRecord> | undefined
  /** Record this process's own status write (or removal, with `undefined`) at `revision`. */
  readonly wroteStatus: (name: InstanceName, status: InstanceStatus | undefined, revision: string) => void
}

export interface StateCacheEvents {
  /** A spec was created, changed or deleted after the initial list (a user edit). */
  readonly onSpecChange: (name: string) => Effect.Effect<void>
  /** The spec list was (re)loaded: on the first list, and after every relist. */
  readonly onSpecsListed: (relists: number) => Effect.Effect<void>
}

/** Starts the three watches in the current scope and returns the cache they keep. */
export const makeStateCache = (events: StateCacheEvents) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const specs = new RevisionedMap<StoredInstance>()
    const statuses = new RevisionedMap<InstanceStatus>()
    const invalid = new Map<string, string>()
    const specsListed = yield* Deferred.make<void>()
    const statusesListed = yield* Deferred.make<void>()
    const drainsListed = yield* Deferred.make<void>()

    yield* informer<StoredInstance>({ prefix: keys.specs, parse: parseStored }).pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "Upsert":
            invalid.delete(event.value.metadata.name)
            specs.set(event.value.metadata.name, event.value, event.modRevision)
            return specs.synced ? events.onSpecChange(event.value.metadata.name) : Effect.void
          case "Delete": {
            const name = event.key.slice(keys.specs.length)
            invalid.delete(name)
            specs.set(name, undefined, event.modRevision)
            return events.onSpecChange(name)
          }
          case "Synced":
            specs.synced = true
            return Effect.andThen(Deferred.succeed(specsListed, undefined), events.onSpecsListed(event.relists))
          case "Invalid": {
            // Unreadable is not deleted: a newer writer or a hand edit must not tear anything down.
            const name = event.key.slice(keys.specs.length)
            invalid.set(name, event.error.message)
            specs.set(name, undefined, event.modRevision)
            return Effect.logWarning("unreadable spec in etcd; its instance is left alone").pipe(
              Effect.annotateLogs({ key: event.key, error: event.error.message }),
              Effect.andThen(specs.synced ? events.onSpecChange(name) : Effect.void)
            )
          }
        }
      }),
      Effect.forkScoped
    )

    yield* informer<InstanceStatus>({
      prefix: keys.statuses,
      parse: (_key, value) => Option.getOrElse(parseStatus(value), () => new Error("unreadable status"))
    }).pipe(
      Stream.runForEach((event) => {
        if (event._tag === "Synced") {
          statuses.synced = true
          return Deferred.succeed(statusesListed, undefined)
        }
        return Effect.sync(() => {
          if (event._tag === "Upsert") statuses.set(event.key.slice(keys.statuses.length), event.value, event.modRevision)
          else statuses.set(event.key.slice(keys.statuses.length), undefined, event.modRevision)
        })
      }),
      Effect.forkScoped
    )

    // Drain records per instance (`<p>/drain/<name>/<taskId>`), so an idle look asks etcd nothing.
    // An unreadable record counts as present: a pass under the lock will look at it.
    const drains = new Map<string, Map<string, DrainRecord | undefined>>()
    let drainsSynced = false
    const drainKey = (key: string) => {
      const rest = key.slice(keys.drains.length)
      const slash = rest.indexOf("/")
      return slash < 0 ? undefined : { name: rest.slice(0, slash), taskId: rest.slice(slash + 1) }
    }
    yield* informer<DrainRecord | undefined>({
      prefix: keys.drains,
      parse: (_key, value) => Option.getOrUndefined(decodeDrainRecord(value))
    }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event._tag === "Synced") {
            drainsSynced = true
            Deferred.doneUnsafe(drainsListed, Effect.void)
            return
          }
          const at = drainKey(event.key)
          if (at === undefined) return
          if (event._tag === "Delete") {
            const records = drains.get(at.name)
            records?.delete(at.taskId)
            if (records?.size === 0) drains.delete(at.name)
            return
          }
          const records = drains.get(at.name) ?? new Map<string, DrainRecord | undefined>()
          records.set(at.taskId, event._tag === "Upsert" ? event.value : undefined)
          drains.set(at.name, records)
        })
      ),
      Effect.forkScoped
    )

    return {
      specNames: () => specs.keys(),
      specsSynced: () => specs.synced,
      invalidSpec: (name) => invalid.get(name),
      invalidNames: () => [...invalid.keys()],
      statusNames: () => statuses.keys(),
      statusesSynced: () => statuses.synced,
      synced: Effect.asVoid(Effect.all([Deferred.await(specsListed), Deferred.await(statusesListed), Deferred.await(drainsListed)])),
      spec: (name) => (specs.synced ? Option.fromUndefinedOr(specs.get(name)) : undefined),
      status: (name) => (statuses.synced ? statuses.get(name) : false),
      drainRecords: (name) => (drainsSynced ? (drains.get(name) as ReadonlyMap<string, DrainRecord> | undefined) ?? noRecords : undefined),
      wroteStatus: (name, status, revision) => statuses.set(name, status, revision)
    } satisfies StateCache
  })
