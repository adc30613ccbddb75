// Desired state in etcd: ServiceInstance specs with Kubernetes-grade concurrency. Every write is a
// compare-and-swap transaction on the key's mod revision (resourceVersion); `generation` moves only
// when `spec` changes. A revision is kept under history/ (newest 10, in the same transaction) when
// what runs changes — the Marathon app id (domain/Revision.ts) — not on pause, resume or scale, so
// toggling those can never push the real rollouts out of the history. Status lives in its own keys
// (StatusStore) and is never written here.
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { canonicalJson } from "../domain/CanonicalJson.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { mergeApplied } from "../domain/LastApplied.ts"
import { appIdOf } from "../domain/Revision.ts"
import { ServiceInstance } from "../domain/ServiceInstance.ts"
import type { ServiceInstanceSpec } from "../domain/ServiceInstanceSpec.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { historyLimit, makeKeys } from "./Keys.ts"
import { StoreError } from "./StoreError.ts"

/** A spec as stored: metadata carries the server-set fields. */
export interface StoredInstance extends ServiceInstance {
  readonly metadata: ServiceInstance["metadata"] & {
    readonly uid: string
    readonly generation: number
    readonly resourceVersion: string
    readonly creationTimestamp: string
  }
}

export interface HistoryEntry {
  /** The generation whose spec this is; also the revision number. */
  readonly generation: number
  readonly recordedAt: string
  readonly spec: ServiceInstanceSpec
  /** The Marathon app id the spec ran as; absent in entries written before it was recorded. */
  readonly appId?: string
}

export type ApplyAction = "created" | "configured" | "unchanged"

export interface ApplyOptions {
  /** Fail with a conflict unless the stored resourceVersion equals this one. */
  readonly expectedResourceVersion?: string | undefined
  /** Validate and compute the outcome without writing (`--dry-run=server`). */
  readonly dryRun?: boolean
  /**
   * What the caller already read (from `list`), to save a round trip per document. The write is
   * still a compare-and-swap on its revision, so a stale snapshot can only cause a conflict.
   */
  readonly current?: Option.Option<StoredInstance>
  /**
   * The document is a manifest given to `apply`: merge it with the stored instance as
   * domain/LastApplied.ts says (keep what the rollout verbs set, record what was applied).
   */
  readonly lastApplied?: boolean
}

export class SpecConflictError extends Schema.TaggedError<SpecConflictError>()("SpecConflictError", {
  name: Schema.String,
  message: Schema.String
}) {}

export class CorruptSpecError extends Schema.TaggedError<CorruptSpecError>()("CorruptSpecError", {
  key: Schema.String,
  message: Schema.String
}) {}

const decodeStored = Schema.decodeUnknownResult(ServiceInstance, { onExcessProperty: "error" })

/** Turns a stored key/value into a StoredInstance, or a CorruptSpecError naming the key. */
export const parseStored = (key: string, value: string, modRevision: string): StoredInstance | CorruptSpecError => {
  let json: unknown
  try {
    json = JSON.parse(value)
  } catch {
    return new CorruptSpecError({ key, message: "value is not JSON" })
  }
  const decoded = decodeStored(json)
  if (decoded._tag === "Failure") return new CorruptSpecError({ key, message: decoded.failure.message })
  const instance = decoded.success
  const { uid, generation, creationTimestamp } = instance.metadata
  if (uid === undefined || generation === undefined || creationTimestamp === undefined) {
    return new CorruptSpecError({ key, message: "metadata lacks uid, generation or creationTimestamp" })
  }
  return {
    ...instance,
    metadata: { ...instance.metadata, uid, generation, creationTimestamp, resourceVersion: modRevision }
  }
}

/** The JSON written to etcd: the document without resourceVersion (that is the key's revision) or status. */
const storedValue = (instance: StoredInstance): string => {
  const { resourceVersion: _, ...metadata } = instance.metadata
  return JSON.stringify({ apiVersion: instance.apiVersion, kind: instance.kind, metadata, spec: instance.spec })
}

const sameMetadata = (a: ServiceInstance["metadata"], b: ServiceInstance["metadata"]): boolean =>
  canonicalJson(a.labels ?? {}) === canonicalJson(b.labels ?? {}) &&
  canonicalJson(a.annotations ?? {}) === canonicalJson(b.annotations ?? {})

export class SpecStore extends Context.Service<SpecStore, {
  readonly get: (name: InstanceName) => Effect.Effect<Option.Option<StoredInstance>, StoreError | CorruptSpecError>
  /**
   * Every stored spec at one revision; corrupt values are reported beside the good ones. `reuse`:
   * specs read before, returned as they are when their revision has not moved (not decoded again).
   */
  readonly list: (options?: { readonly reuse?: ReadonlyMap<string, StoredInstance> }) => Effect.Effect<{
    readonly items: ReadonlyArray<StoredInstance>
    readonly corrupt: ReadonlyArray<CorruptSpecError>
    readonly revision: string
  }, StoreError>
  /** Create or update one instance from a validated document (compare-and-swap). */
  readonly apply: (
    document: ServiceInstance,
    options?: ApplyOptions
  ) => Effect.Effect<{ readonly action: ApplyAction; readonly instance: StoredInstance }, StoreError | SpecConflictError | CorruptSpecError>
  /**
   * Delete several instances and their histories in one etcd transaction, each guarded by the
   * revision just read: all go, or (on a concurrent change) none. Names without a spec are returned
   * as missing and do not stop the others.
   */
  readonly removeAll: (
    names: ReadonlyArray<InstanceName>
  ) => Effect.Effect<{ readonly removed: ReadonlyArray<string>; readonly missing: ReadonlyArray<string> }, StoreError | SpecConflictError | CorruptSpecError>
  /** Delete one instance and its history; Option.none when it did not exist. */
  readonly remove: (
    name: InstanceName,
    options?: { readonly expectedResourceVersion?: string | undefined; readonly dryRun?: boolean }
  ) => Effect.Effect<Option.Option<StoredInstance>, StoreError | SpecConflictError | CorruptSpecError>
  /** Earlier specs, oldest first, at most 10. */
  readonly history: (name: InstanceName) => Effect.Effect<ReadonlyArray<HistoryEntry>, StoreError>
}>()("mdeploy/store/SpecStore") {
  static readonly layerNoDeps = Layer.effect(
    SpecStore,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      const keys = makeKeys(etcd.prefix)

      const get = Effect.fn("SpecStore.get")(function*(name: InstanceName) {
        const key = keys.spec(name)
        const response = yield* etcd.callIdempotent("get", (client) => client.get(key).exec())
        const kv = response.kvs[0]
        if (kv === undefined) return Option.none<StoredInstance>()
        const parsed = parseStored(key, kv.value.toString(), kv.mod_revision)
        if (parsed instanceof CorruptSpecError) return yield* parsed
        return Option.some(parsed)
      })

      const list = Effect.fn("SpecStore.list")(function*(options: { readonly reuse?: ReadonlyMap<string, StoredInstance> } = {}) {
        const response = yield* etcd.callIdempotent("list", (client) => client.getAll().prefix(keys.specs).exec())
        const items: Array<StoredInstance> = []
        const corrupt: Array<CorruptSpecError> = []
        for (const kv of response.kvs) {
          const key = kv.key.toString()
          const known = options.reuse?.get(key.slice(keys.specs.length))
          if (known !== undefined && known.metadata.resourceVersion === kv.mod_revision) {
            items.push(known)
            continue
          }
          const parsed = parseStored(key, kv.value.toString(), kv.mod_revision)
          if (parsed instanceof CorruptSpecError) corrupt.push(parsed)
          else items.push(parsed)
        }
        return { items, corrupt, revision: response.header.revision }
      })

      const conflict = (name: string, message: string) => new SpecConflictError({ name, message })

      const apply = Effect.fn("SpecStore.apply")(function*(given: ServiceInstance, options: ApplyOptions = {}) {
        const name = given.metadata.name
        const key = keys.spec(name)
        const current = options.current ?? (yield* get(name))
        // Merged against what was just read, so a retry after a lost race merges afresh.
        const document = options.lastApplied === true ? mergeApplied(given, Option.getOrUndefined(current)) : given
        const expected = options.expectedResourceVersion
        const now = DateTime.formatIso(yield* DateTime.now)
        const { status: _status, ...withoutStatus } = document
        if (Option.isNone(current)) {
          if (expected !== undefined && expected !== "0") {
            return yield* conflict(name, `resourceVersion ${expected} was given but ${name} does not exist`)
          }
          const created: StoredInstance = {
            ...withoutStatus,
            metadata: {
              name,
              ...(document.metadata.labels === undefined ? {} : { labels: document.metadata.labels }),
              ...(document.metadata.annotations === undefined ? {} : { annotations: document.metadata.annotations }),
              uid: randomUUID(),
              generation: 1,
              creationTimestamp: now,
              resourceVersion: "0"
            }
          }
          if (options.dryRun === true) return { action: "created" as const, instance: created }
          const history: HistoryEntry = { generation: 1, recordedAt: now, spec: document.spec, appId: appIdOf(name, document.spec) }
          const result = yield* etcd.call("create", (client) =>
            client.if(key, "Create", "==", 0)
              .then(client.put(key).value(storedValue(created)), client.put(keys.historyEntry(name, 1)).value(JSON.stringify(history)))
              .commit())
          if (!result.succeeded) return yield* conflict(name, `${name} was created by someone else meanwhile; re-read and retry`)
          const instance: StoredInstance = { ...created, metadata: { ...created.metadata, resourceVersion: result.header.revision } }
          return { action: "created" as const, instance }
        }
        const stored = current.value
        const revision = stored.metadata.resourceVersion
        if (expected !== undefined && expected !== revision) {
          return yield* conflict(
            name,
            `the object has been modified (resourceVersion ${expected}, now ${revision}); apply the latest version and try again`
          )
        }
        const specChanged = canonicalJson(stored.spec) !== canonicalJson(document.spec)
        if (!specChanged && sameMetadata(stored.metadata, document.metadata)) {
          return { action: "unchanged" as const, instance: stored }
        }
        const generation = specChanged ? stored.metadata.generation + 1 : stored.metadata.generation
        const updated: StoredInstance = {
          ...withoutStatus,
          metadata: {
            ...stored.metadata,
            labels: document.metadata.labels ?? {},
            annotations: document.metadata.annotations ?? {},
            generation
          }
        }
        if (document.metadata.labels === undefined) delete (updated.metadata as { labels?: unknown }).labels
        if (document.metadata.annotations === undefined) delete (updated.metadata as { annotations?: unknown }).annotations
        if (options.dryRun === true) return { action: "configured" as const, instance: updated }
        const appId = appIdOf(name, document.spec)
        const newRevision = specChanged && appId !== appIdOf(name, stored.spec)
        // Revisions are sparse generations, so the ones to drop are found by listing; the spec
        // key's compare-and-swap below serialises every writer of this history.
        const kept = newRevision
          ? [...(yield* etcd.callIdempotent("historyKeys", (client) => client.getAll().prefix(keys.history(name)).keys()))].sort()
          : []
        const dropped = kept.slice(0, Math.max(0, kept.length + 1 - historyLimit))
        const history: HistoryEntry = { generation, recordedAt: now, spec: document.spec, appId }
        const result = yield* etcd.call("update", (client) => {
          const writes = [client.put(key).value(storedValue(updated))]
          const historyOps = newRevision
            ? [
              client.put(keys.historyEntry(name, generation)).value(JSON.stringify(history)),
              ...dropped.map((old) => client.delete().key(old))
            ]
            : []
          return client.if(key, "Mod", "==", revision).then(...writes, ...historyOps).commit()
        })
        if (!result.succeeded) {
          return yield* conflict(name, `the object has been modified since it was read; apply again to retry`)
        }
        const instance: StoredInstance = { ...updated, metadata: { ...updated.metadata, resourceVersion: result.header.revision } }
        return { action: "configured" as const, instance }
      })

      const remove = Effect.fn("SpecStore.remove")(function*(
        name: InstanceName,
        options: { readonly expectedResourceVersion?: string | undefined; readonly dryRun?: boolean } = {}
      ) {
        const current = yield* get(name)
        if (Option.isNone(current)) return current
        const revision = current.value.metadata.resourceVersion
        const expected = options.expectedResourceVersion
        if (expected !== undefined && expected !== revision) {
          return yield* conflict(name, `the object has been modified (resourceVersion ${expected}, now ${revision})`)
        }
        if (options.dryRun === true) return current
        const key = keys.spec(name)
        const result = yield* etcd.call("delete", (client) =>
          client.if(key, "Mod", "==", revision)
            .then(client.delete().key(key), client.delete().prefix(keys.history(name)))
            .commit())
        if (!result.succeeded) return yield* conflict(name, `the object has been modified since it was read; delete again to retry`)
        return current
      })

      const history = Effect.fn("SpecStore.history")(function*(name: InstanceName) {
        const response = yield* etcd.callIdempotent("history", (client) => client.getAll().prefix(keys.history(name)).exec())
        return response.kvs.map((kv) => JSON.parse(kv.value.toString()) as HistoryEntry)
          .sort((a, b) => a.generation - b.generation)
      })

      const removeAll = Effect.fn("SpecStore.removeAll")(function*(names: ReadonlyArray<InstanceName>) {
        const unique = [...new Set(names)]
        // A spec that cannot be decoded is still a spec: its key is deleted like any other.
        const found: Array<{ readonly name: InstanceName; readonly revision: string }> = []
        const missing: Array<string> = []
        for (const name of unique) {
          const response = yield* etcd.callIdempotent("read spec", (client) => client.get(keys.spec(name)).exec())
          const kv = response.kvs[0]
          if (kv === undefined) missing.push(name)
          else found.push({ name, revision: kv.mod_revision })
        }
        if (found.length === 0) return { removed: [], missing }
        const result = yield* etcd.call("delete", (client) => {
          const [first, ...rest] = found
          const guard = client.if(keys.spec(first!.name), "Mod", "==", first!.revision)
          for (const entry of rest) guard.and(keys.spec(entry.name), "Mod", "==", entry.revision)
          return guard.then(...found.flatMap(({ name }) => [client.delete().key(keys.spec(name)), client.delete().prefix(keys.history(name))])).commit()
        })
        if (!result.succeeded) {
          return yield* conflict(found[0]!.name, `one of ${found.length} specs was modified since it was read; nothing was deleted, delete again to retry`)
        }
        return { removed: found.map((entry) => entry.name), missing }
      })

      return SpecStore.of({ get, list, apply, remove, removeAll, history })
    })
  )
}
