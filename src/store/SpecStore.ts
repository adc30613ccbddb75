// Desired state in etcd: ServiceInstance specs with Kubernetes-grade concurrency. Every write is a
// compare-and-swap transaction on the key's mod revision (resourceVersion); `generation` moves only
// when `spec` changes. A revision is kept under history/ (newest 10, in the same transaction) when
// what runs changes — the Marathon app id (domain/Revision.ts) — not on pause, resume or scale, so
// toggling those can never push the real rollouts out of the history. Status lives in its own keys
// (StatusStore) and is never written here.
import { Context, DateTime, Effect, Layer, Option, Result, Schema } from "effect"
import { canonicalJson } from "../domain/CanonicalJson.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { mergeApplied } from "../domain/LastApplied.ts"
import { appIdOf } from "../domain/Revision.ts"
import { ServiceInstance } from "../domain/ServiceInstance.ts"
import type { ServiceInstanceSpec } from "../domain/ServiceInstanceSpec.ts"
import { historyLimit } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"
import type { StoreError } from "./StoreError.ts"

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

export interface ApplyOutcome {
  readonly action: ApplyAction
  readonly instance: StoredInstance
}

/** One document of `applyMany`, with its own options. */
export interface ApplyItem {
  readonly document: ServiceInstance
  readonly options?: ApplyOptions
}

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
  /**
   * Write only while every fence still holds (the leader key, for GitOps sync): one more compare
   * in the write's transaction, so a deposed leader that wakes up mid-sync writes nothing.
   */
  readonly fences?: ReadonlyArray<Fence>
}

export interface RemoveOptions {
  readonly expectedResourceVersion?: string | undefined
  readonly dryRun?: boolean
  /** As ApplyOptions.fences. */
  readonly fences?: ReadonlyArray<Fence>
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
export const storedValue = (instance: StoredInstance): string => {
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
  ) => Effect.Effect<ApplyOutcome, StoreError | SpecConflictError | CorruptSpecError>
  /**
   * `apply` of many documents, each decided and guarded exactly as `apply` alone would be, with
   * its own outcome in the order given; the writes travel many to a transaction, so a thousand
   * specs cost tens of round trips, not a thousand. A transaction refused as a whole (one of its
   * specs moved) is retried spec by spec, so one conflict never fails the others. Fails only on
   * a store error, which may come after earlier transactions were written.
   */
  readonly applyMany: (
    items: ReadonlyArray<ApplyItem>
  ) => Effect.Effect<ReadonlyArray<Result.Result<ApplyOutcome, SpecConflictError | CorruptSpecError>>, StoreError>
  /**
   * Delete several instances and their histories in one etcd transaction, each guarded by the
   * revision just read: all go, or (on a concurrent change) none. Names without a spec are returned
   * as missing and do not stop the others.
   */
  readonly removeAll: (
    names: ReadonlyArray<InstanceName>
  ) => Effect.Effect<
    { readonly removed: ReadonlyArray<string>; readonly missing: ReadonlyArray<string> },
    StoreError | SpecConflictError | CorruptSpecError
  >
  /** Delete one instance and its history; Option.none when it did not exist. */
  readonly remove: (
    name: InstanceName,
    options?: RemoveOptions
  ) => Effect.Effect<Option.Option<StoredInstance>, StoreError | SpecConflictError | CorruptSpecError>
  /** Earlier specs, oldest first, at most 10. */
  readonly history: (name: InstanceName) => Effect.Effect<ReadonlyArray<HistoryEntry>, StoreError>
}>()("mdeploy/store/SpecStore") {
  static readonly layerMemory: Layer.Layer<SpecStore> = Layer.sync(SpecStore, () => makeMemorySpecStore())
}

export const withRevision = (instance: StoredInstance, resourceVersion: string): StoredInstance => ({
  ...instance,
  metadata: { ...instance.metadata, resourceVersion }
})

/** What one apply writes, decided from what is stored; the layers only carry it out. */
export type ApplyDecision =
  | { readonly _tag: "Conflict"; readonly message: string }
  | { readonly _tag: "Unchanged"; readonly instance: StoredInstance }
  | { readonly _tag: "Create"; readonly instance: StoredInstance; readonly history: HistoryEntry }
  /** `history` is set when what runs changes (the Marathon app id): a new revision. */
  | {
    readonly _tag: "Update"
    readonly instance: StoredInstance
    readonly expectedRevision: string
    readonly history: HistoryEntry | undefined
  }

export const decideApply = (
  current: Option.Option<StoredInstance>,
  given: ServiceInstance,
  options: ApplyOptions,
  now: string,
  newUid: () => string
): ApplyDecision => {
  const name = given.metadata.name
  // Merged against what was just read, so a retry after a lost race merges afresh.
  const document = options.lastApplied === true ? mergeApplied(given, Option.getOrUndefined(current)) : given
  const expected = options.expectedResourceVersion
  const { status: _status, ...withoutStatus } = document
  if (Option.isNone(current)) {
    if (expected !== undefined && expected !== "0") {
      return { _tag: "Conflict", message: `resourceVersion ${expected} was given but ${name} does not exist` }
    }
    const instance: StoredInstance = {
      ...withoutStatus,
      metadata: {
        name,
        ...(document.metadata.labels === undefined ? {} : { labels: document.metadata.labels }),
        ...(document.metadata.annotations === undefined ? {} : { annotations: document.metadata.annotations }),
        uid: newUid(),
        generation: 1,
        creationTimestamp: now,
        resourceVersion: "0"
      }
    }
    return {
      _tag: "Create",
      instance,
      history: { generation: 1, recordedAt: now, spec: document.spec, appId: appIdOf(name, document.spec) }
    }
  }
  const stored = current.value
  const revision = stored.metadata.resourceVersion
  if (expected !== undefined && expected !== revision) {
    return {
      _tag: "Conflict",
      message: `the object has been modified (resourceVersion ${expected}, now ${revision}); apply the latest version and try again`
    }
  }
  const specChanged = canonicalJson(stored.spec) !== canonicalJson(document.spec)
  if (!specChanged && sameMetadata(stored.metadata, document.metadata)) return { _tag: "Unchanged", instance: stored }
  const generation = specChanged ? stored.metadata.generation + 1 : stored.metadata.generation
  const instance: StoredInstance = {
    ...withoutStatus,
    metadata: {
      ...stored.metadata,
      labels: document.metadata.labels ?? {},
      annotations: document.metadata.annotations ?? {},
      generation
    }
  }
  if (document.metadata.labels === undefined) delete (instance.metadata as { labels?: unknown }).labels
  if (document.metadata.annotations === undefined) delete (instance.metadata as { annotations?: unknown }).annotations
  const appId = appIdOf(name, document.spec)
  const history = specChanged && appId !== appIdOf(name, stored.spec)
    ? { generation, recordedAt: now, spec: document.spec, appId }
    : undefined
  return { _tag: "Update", instance, expectedRevision: revision, history }
}

/**
 * The memory layer, for service-level tests: the same decisions and conflicts as etcd, with a
 * revision counter standing in for etcd's; values go through the stored JSON, so what decodes
 * here decodes there.
 */
const makeMemorySpecStore = () => {
  const values = new Map<string, { readonly value: string; readonly revision: string }>()
  const histories = new Map<string, Array<HistoryEntry>>()
  let revision = 0
  const next = () => String(++revision)
  const read = (name: string): Option.Option<StoredInstance> | CorruptSpecError => {
    const found = values.get(name)
    if (found === undefined) return Option.none()
    const parsed = parseStored(`specs/${name}`, found.value, found.revision)
    return parsed instanceof CorruptSpecError ? parsed : Option.some(parsed)
  }
  const get = (name: InstanceName) =>
    Effect.suspend(() => {
      const found = read(name)
      return found instanceof CorruptSpecError ? Effect.fail(found) : Effect.succeed(found)
    })
  const conflict = (name: string, message: string) => Effect.fail(new SpecConflictError({ name, message }))
  const apply = (given: ServiceInstance, options: ApplyOptions = {}) =>
    Effect.gen(function*() {
      const name = given.metadata.name
      const current = options.current ?? (yield* get(name as InstanceName))
      const decision = decideApply(current, given, options, DateTime.formatIso(yield* DateTime.now), () => `uid-${next()}`)
      if (decision._tag === "Conflict") return yield* conflict(name, decision.message)
      if (decision._tag === "Unchanged") return { action: "unchanged" as const, instance: decision.instance }
      const action = decision._tag === "Create" ? "created" as const : "configured" as const
      if (options.dryRun === true) return { action, instance: decision.instance }
      const stored = values.get(name)
      if (decision._tag === "Create" ? stored !== undefined : stored?.revision !== decision.expectedRevision) {
        return yield* conflict(name, `the object has been modified since it was read; apply again to retry`)
      }
      const written = next()
      values.set(name, { value: storedValue(decision.instance), revision: written })
      if (decision.history !== undefined) histories.set(name, [...(histories.get(name) ?? []), decision.history].slice(-historyLimit))
      return { action, instance: withRevision(decision.instance, written) }
    })
  return SpecStore.of({
    get,
    list: () =>
      Effect.sync(() => {
        const items: Array<StoredInstance> = []
        const corrupt: Array<CorruptSpecError> = []
        for (const name of [...values.keys()].sort()) {
          const found = read(name)
          if (found instanceof CorruptSpecError) corrupt.push(found)
          else if (Option.isSome(found)) items.push(found.value)
        }
        return { items, corrupt, revision: String(revision) }
      }),
    apply,
    applyMany: (items) => Effect.forEach(items, ({ document, options }) => Effect.result(apply(document, options))),
    remove: (name, options = {}) =>
      Effect.gen(function*() {
        const current = yield* get(name)
        if (Option.isNone(current)) return current
        const stored = current.value.metadata.resourceVersion
        if (options.expectedResourceVersion !== undefined && options.expectedResourceVersion !== stored) {
          return yield* conflict(name, `the object has been modified (resourceVersion ${options.expectedResourceVersion}, now ${stored})`)
        }
        if (options.dryRun !== true) {
          values.delete(name)
          histories.delete(name)
          next()
        }
        return current
      }),
    removeAll: (names) =>
      Effect.sync(() => {
        const unique = [...new Set(names)]
        const removed = unique.filter((name) => values.has(name))
        for (const name of removed) {
          values.delete(name)
          histories.delete(name)
        }
        if (removed.length > 0) next()
        return { removed, missing: unique.filter((name) => !removed.includes(name)) }
      }),
    history: (name) => Effect.sync(() => [...(histories.get(name) ?? [])])
  })
}
