// The leader's in-memory copy of specs and statuses, kept current by etcd watches (client-go's
// informer cache), so a steady reconcile reads nothing from etcd. Every entry carries the etcd
// revision it reflects: a watch event older than what a write-through already put is ignored, so
// the cache never goes back in time. Until a prefix has been listed once, reads fall through to etcd.
import { Effect, Option, Stream } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { informer } from "../store/Informer.ts"
import { makeKeys } from "../store/Keys.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import { parseStored } from "../store/SpecStore.ts"
import { parseStatus } from "../store/StatusStore.ts"
import { RevisionedMap } from "./internal/revisionedMap.ts"

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
  /** The cached spec, or None; undefined when the cache cannot answer yet (read etcd). */
  readonly spec: (name: InstanceName) => Option.Option<StoredInstance> | undefined
  /** The cached status (undefined value: none); `false` when the cache cannot answer yet. */
  readonly status: (name: InstanceName) => InstanceStatus | undefined | false
  /** Record this process's own status write (or removal, with `undefined`) at `revision`. */
  readonly wroteStatus: (name: InstanceName, status: InstanceStatus | undefined, revision: string) => void
}

export interface StateCacheEvents {
  /** A spec was created, changed or deleted after the initial list (a user edit). */
  readonly onSpecChange: (name: string) => Effect.Effect<void>
  /** The spec list was (re)loaded: on the first list, and after every relist. */
  readonly onSpecsListed: (relists: number) => Effect.Effect<void>
}

/** Starts the two watches in the current scope and returns the cache they keep. */
export const makeStateCache = (events: StateCacheEvents) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const specs = new RevisionedMap<StoredInstance>()
    const statuses = new RevisionedMap<InstanceStatus>()
    const invalid = new Map<string, string>()

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
            return events.onSpecsListed(event.relists)
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
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event._tag === "Upsert") statuses.set(event.key.slice(keys.statuses.length), event.value, event.modRevision)
          else if (event._tag === "Delete" || event._tag === "Invalid") statuses.set(event.key.slice(keys.statuses.length), undefined, event.modRevision)
          else if (event._tag === "Synced") statuses.synced = true
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
      spec: (name) => (specs.synced ? Option.fromUndefinedOr(specs.get(name)) : undefined),
      status: (name) => (statuses.synced ? statuses.get(name) : false),
      wroteStatus: (name, status, revision) => statuses.set(name, status, revision)
    } satisfies StateCache
  })
