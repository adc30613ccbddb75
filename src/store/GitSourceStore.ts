// GitSources in etcd (design.md §12): the spec at <p>/gitsources/<name> is written like an instance
// spec (compare-and-swap on its mod revision, `generation` bumped only when `spec` changes); the
// status at <p>/gitsource-status/<name> is the leader's; a sync request at
// <p>/gitsource-requests/<name> may come from any replica or the CLI and is cleared by the leader
// with a compare-and-swap, so a request that arrives during a sync is never lost.
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { canonicalJson } from "../domain/CanonicalJson.ts"
import type { GitSourceStatus, SyncRequest } from "../domain/GitSource.ts"
import { GitSource, GitSourceStatus as StatusSchema, SyncRequest as RequestSchema } from "../domain/GitSource.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import { CorruptSpecError, SpecConflictError } from "./SpecStore.ts"
import type { ApplyAction } from "./SpecStore.ts"
import type { StoreError } from "./StoreError.ts"

export interface StoredGitSource extends GitSource {
  readonly metadata: GitSource["metadata"] & {
    readonly uid: string
    readonly generation: number
    readonly resourceVersion: string
    readonly creationTimestamp: string
  }
}

const decodeSource = Schema.decodeUnknownResult(GitSource, { onExcessProperty: "error" })
const decodeStatus = Schema.decodeUnknownResult(StatusSchema)
const decodeRequest = Schema.decodeUnknownResult(RequestSchema)

const jsonOf = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const parseStoredSource = (key: string, value: string, modRevision: string): StoredGitSource | CorruptSpecError => {
  const decoded = decodeSource(jsonOf(value))
  if (decoded._tag === "Failure") return new CorruptSpecError({ key, message: decoded.failure.message })
  const { uid, generation, creationTimestamp } = decoded.success.metadata
  if (uid === undefined || generation === undefined || creationTimestamp === undefined) {
    return new CorruptSpecError({ key, message: "metadata lacks uid, generation or creationTimestamp" })
  }
  return { ...decoded.success, metadata: { ...decoded.success.metadata, uid, generation, creationTimestamp, resourceVersion: modRevision } }
}

/** A stored GitSource status; none when it cannot be read (the leader writes it again). */
export const parseSourceStatus = (value: string): Option.Option<GitSourceStatus> => {
  const decoded = decodeStatus(jsonOf(value))
  return decoded._tag === "Success" ? Option.some(decoded.success) : Option.none()
}

const storedValue = (source: StoredGitSource): string => {
  const { resourceVersion: _, ...metadata } = source.metadata
  return JSON.stringify({ apiVersion: source.apiVersion, kind: source.kind, metadata, spec: source.spec })
}

type Errors = StoreError | CorruptSpecError

export class GitSourceStore extends Context.Service<GitSourceStore, {
  readonly get: (name: string) => Effect.Effect<Option.Option<StoredGitSource>, Errors>
  readonly list: () => Effect.Effect<ReadonlyArray<StoredGitSource>, StoreError>
  readonly apply: (
    document: GitSource,
    options?: { readonly expectedResourceVersion?: string | undefined; readonly dryRun?: boolean }
  ) => Effect.Effect<{ readonly action: ApplyAction; readonly source: StoredGitSource }, Errors | SpecConflictError>
  readonly remove: (name: string) => Effect.Effect<boolean, StoreError>
  readonly status: (name: string) => Effect.Effect<Option.Option<GitSourceStatus>, StoreError>
  readonly statuses: () => Effect.Effect<ReadonlyMap<string, GitSourceStatus>, StoreError>
  readonly putStatus: (name: string, status: GitSourceStatus) => Effect.Effect<void, StoreError>
  /** Writes (replaces) the pending sync request of a source. */
  readonly request: (name: string, request: SyncRequest) => Effect.Effect<void, StoreError>
  /** The pending request and its mod revision, if any. */
  readonly pendingRequest: (
    name: string
  ) => Effect.Effect<Option.Option<{ readonly request: SyncRequest; readonly modRevision: string }>, StoreError>
  /** Clears the request handled, unless a newer one replaced it meanwhile. */
  readonly clearRequest: (name: string, modRevision: string) => Effect.Effect<void, StoreError>
}>()("mdeploy/store/GitSourceStore") {
  static readonly layerNoDeps = Layer.effect(
    GitSourceStore,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      const keys = makeKeys(etcd.prefix)

      const get = Effect.fn("GitSourceStore.get")(function*(name: string) {
        const key = keys.gitSource(name)
        const kv = (yield* etcd.callIdempotent("get", (client) => client.get(key).exec())).kvs[0]
        if (kv === undefined) return Option.none<StoredGitSource>()
        const parsed = parseStoredSource(key, kv.value.toString(), kv.mod_revision)
        if (parsed instanceof CorruptSpecError) return yield* parsed
        return Option.some(parsed)
      })

      const list = Effect.fn("GitSourceStore.list")(function*() {
        const response = yield* etcd.callIdempotent("list", (client) => client.getAll().prefix(keys.gitSources).exec())
        return response.kvs.flatMap((kv) => {
          const parsed = parseStoredSource(kv.key.toString(), kv.value.toString(), kv.mod_revision)
          return parsed instanceof CorruptSpecError ? [] : [parsed]
        })
      })

      const apply = Effect.fn("GitSourceStore.apply")(function*(
        document: GitSource,
        options: { readonly expectedResourceVersion?: string | undefined; readonly dryRun?: boolean } = {}
      ) {
        const name = document.metadata.name
        const key = keys.gitSource(name)
        const current = yield* get(name)
        const expected = options.expectedResourceVersion
        const now = DateTime.formatIso(yield* DateTime.now)
        const { labels, annotations } = document.metadata
        const metadataOf = (base: { uid: string; generation: number; creationTimestamp: string; resourceVersion: string }) => ({
          name,
          ...(labels === undefined ? {} : { labels }),
          ...(annotations === undefined ? {} : { annotations }),
          ...base
        })
        if (Option.isNone(current)) {
          if (expected !== undefined && expected !== "0") {
            return yield* new SpecConflictError({
              name,
              message: `resourceVersion ${expected} was given but gitsource ${name} does not exist`
            })
          }
          const created: StoredGitSource = {
            apiVersion: document.apiVersion,
            kind: document.kind,
            metadata: metadataOf({ uid: crypto.randomUUID(), generation: 1, creationTimestamp: now, resourceVersion: "0" }),
            spec: document.spec
          }
          if (options.dryRun === true) return { action: "created" as const, source: created }
          const result = yield* etcd.call(
            "create",
            (client) => client.if(key, "Create", "==", 0).then(client.put(key).value(storedValue(created))).commit()
          )
          if (!result.succeeded) {
            return yield* new SpecConflictError({ name, message: `gitsource ${name} was created by someone else meanwhile` })
          }
          return {
            action: "created" as const,
            source: { ...created, metadata: { ...created.metadata, resourceVersion: result.header.revision } }
          }
        }
        const stored = current.value
        const revision = stored.metadata.resourceVersion
        if (expected !== undefined && expected !== revision) {
          return yield* new SpecConflictError({
            name,
            message: `the object has been modified (resourceVersion ${expected}, now ${revision})`
          })
        }
        const specChanged = canonicalJson(stored.spec) !== canonicalJson(document.spec)
        const metadataChanged = canonicalJson(stored.metadata.labels ?? {}) !== canonicalJson(labels ?? {}) ||
          canonicalJson(stored.metadata.annotations ?? {}) !== canonicalJson(annotations ?? {})
        if (!specChanged && !metadataChanged) return { action: "unchanged" as const, source: stored }
        const updated: StoredGitSource = {
          apiVersion: document.apiVersion,
          kind: document.kind,
          metadata: metadataOf({
            uid: stored.metadata.uid,
            generation: stored.metadata.generation + (specChanged ? 1 : 0),
            creationTimestamp: stored.metadata.creationTimestamp,
            resourceVersion: revision
          }),
          spec: document.spec
        }
        if (options.dryRun === true) return { action: "configured" as const, source: updated }
        const result = yield* etcd.call(
          "update",
          (client) => client.if(key, "Mod", "==", revision).then(client.put(key).value(storedValue(updated))).commit()
        )
        if (!result.succeeded) {
          return yield* new SpecConflictError({ name, message: "the object has been modified since it was read; apply again to retry" })
        }
        return {
          action: "configured" as const,
          source: { ...updated, metadata: { ...updated.metadata, resourceVersion: result.header.revision } }
        }
      })

      const remove = Effect.fn("GitSourceStore.remove")(function*(name: string) {
        const result = yield* etcd.call("delete", (client) =>
          client.if(keys.gitSource(name), "Create", ">", 0)
            .then(
              client.delete().key(keys.gitSource(name)),
              client.delete().key(keys.gitSourceStatus(name)),
              client.delete().key(keys.gitSourceRequest(name))
            )
            .commit())
        return result.succeeded
      })

      const status = Effect.fn("GitSourceStore.status")(function*(name: string) {
        const kv = (yield* etcd.callIdempotent("get status", (client) => client.get(keys.gitSourceStatus(name)).exec())).kvs[0]
        return kv === undefined ? Option.none<GitSourceStatus>() : parseSourceStatus(kv.value.toString())
      })

      const statuses = Effect.fn("GitSourceStore.statuses")(function*() {
        const prefix = keys.gitSourceStatus("")
        const response = yield* etcd.callIdempotent("list status", (client) => client.getAll().prefix(prefix).exec())
        const map = new Map<string, GitSourceStatus>()
        for (const kv of response.kvs) {
          const status = parseSourceStatus(kv.value.toString())
          if (Option.isSome(status)) map.set(kv.key.toString().slice(prefix.length), status.value)
        }
        return map as ReadonlyMap<string, GitSourceStatus>
      })

      const putStatus = Effect.fn("GitSourceStore.putStatus")(function*(name: string, value: GitSourceStatus) {
        yield* etcd.callIdempotent("put status", (client) => client.put(keys.gitSourceStatus(name)).value(JSON.stringify(value)).exec())
      })

      const request = Effect.fn("GitSourceStore.request")(function*(name: string, value: SyncRequest) {
        yield* etcd.call("put request", (client) => client.put(keys.gitSourceRequest(name)).value(JSON.stringify(value)).exec())
      })

      const pendingRequest = Effect.fn("GitSourceStore.pendingRequest")(function*(name: string) {
        const kv = (yield* etcd.callIdempotent("get request", (client) => client.get(keys.gitSourceRequest(name)).exec())).kvs[0]
        if (kv === undefined) return Option.none()
        const decoded = decodeRequest(jsonOf(kv.value.toString()))
        // An unreadable request still asks for a sync; it approves nothing.
        const value: SyncRequest = decoded._tag === "Success"
          ? decoded.success
          : { id: `unreadable-${kv.mod_revision}`, requestedAt: "", by: "unknown" }
        return Option.some({ request: value, modRevision: kv.mod_revision })
      })

      const clearRequest = Effect.fn("GitSourceStore.clearRequest")(function*(name: string, modRevision: string) {
        const key = keys.gitSourceRequest(name)
        yield* etcd.call("clear request", (client) => client.if(key, "Mod", "==", modRevision).then(client.delete().key(key)).commit())
      })

      return GitSourceStore.of({ get, list, apply, remove, status, statuses, putStatus, request, pendingRequest, clearRequest })
    })
  )
}
