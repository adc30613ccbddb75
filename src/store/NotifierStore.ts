// Notifiers in etcd (design.md §15): `<p>/notifiers/<name>`, written like GitSources — create is a
// compare-and-swap on absence, update on the mod revision read, `generation` bumped only when
// `spec` changes. Nothing secret is stored: the spec names environment variables of the controller.
import { Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { canonicalJson } from "../domain/CanonicalJson.ts"
import { Notifier } from "../domain/Notifier.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import { CorruptSpecError, SpecConflictError } from "./SpecStore.ts"
import type { ApplyAction } from "./SpecStore.ts"
import type { StoreError } from "./StoreError.ts"

export interface StoredNotifier extends Notifier {
  readonly metadata: Notifier["metadata"] & {
    readonly uid: string
    readonly generation: number
    readonly resourceVersion: string
    readonly creationTimestamp: string
  }
}

const decodeNotifier = Schema.decodeUnknownResult(Notifier, { onExcessProperty: "error" })

const jsonOf = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const parseStoredNotifier = (key: string, value: string, modRevision: string): StoredNotifier | CorruptSpecError => {
  const decoded = decodeNotifier(jsonOf(value))
  if (decoded._tag === "Failure") return new CorruptSpecError({ key, message: decoded.failure.message })
  const { uid, generation, creationTimestamp } = decoded.success.metadata
  if (uid === undefined || generation === undefined || creationTimestamp === undefined) {
    return new CorruptSpecError({ key, message: "metadata lacks uid, generation or creationTimestamp" })
  }
  return { ...decoded.success, metadata: { ...decoded.success.metadata, uid, generation, creationTimestamp, resourceVersion: modRevision } }
}

const storedValue = (notifier: StoredNotifier): string => {
  const { resourceVersion: _, ...metadata } = notifier.metadata
  return JSON.stringify({ apiVersion: notifier.apiVersion, kind: notifier.kind, metadata, spec: notifier.spec })
}

type Errors = StoreError | CorruptSpecError

export interface ApplyOptions {
  readonly expectedResourceVersion?: string | undefined
  readonly dryRun?: boolean
}

export class NotifierStore extends Context.Service<NotifierStore, {
  readonly get: (name: string) => Effect.Effect<Option.Option<StoredNotifier>, Errors>
  readonly list: () => Effect.Effect<ReadonlyArray<StoredNotifier>, StoreError>
  readonly apply: (
    document: Notifier,
    options?: ApplyOptions
  ) => Effect.Effect<{ readonly action: ApplyAction; readonly notifier: StoredNotifier }, Errors | SpecConflictError>
  readonly remove: (name: string) => Effect.Effect<boolean, StoreError>
}>()("mdeploy/store/NotifierStore") {
  static readonly layerNoDeps = Layer.effect(
    NotifierStore,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      const keys = makeKeys(etcd.prefix)

      const get = Effect.fn("NotifierStore.get")(function*(name: string) {
        const key = keys.notifier(name)
        const kv = (yield* etcd.callIdempotent("get", (client) => client.get(key).exec())).kvs[0]
        if (kv === undefined) return Option.none<StoredNotifier>()
        const parsed = parseStoredNotifier(key, kv.value.toString(), kv.mod_revision)
        if (parsed instanceof CorruptSpecError) return yield* parsed
        return Option.some(parsed)
      })

      const list = Effect.fn("NotifierStore.list")(function*() {
        const response = yield* etcd.callIdempotent("list", (client) => client.getAll().prefix(keys.notifiers).exec())
        return response.kvs.flatMap((kv) => {
          const parsed = parseStoredNotifier(kv.key.toString(), kv.value.toString(), kv.mod_revision)
          return parsed instanceof CorruptSpecError ? [] : [parsed]
        })
      })

      const apply = Effect.fn("NotifierStore.apply")(function*(document: Notifier, options: ApplyOptions = {}) {
        const name = document.metadata.name
        const key = keys.notifier(name)
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
              message: `resourceVersion ${expected} was given but notifier ${name} does not exist`
            })
          }
          const created: StoredNotifier = {
            apiVersion: document.apiVersion,
            kind: document.kind,
            metadata: metadataOf({ uid: crypto.randomUUID(), generation: 1, creationTimestamp: now, resourceVersion: "0" }),
            spec: document.spec
          }
          if (options.dryRun === true) return { action: "created" as const, notifier: created }
          const result = yield* etcd.call(
            "create",
            (client) => client.if(key, "Create", "==", 0).then(client.put(key).value(storedValue(created))).commit()
          )
          if (!result.succeeded) {
            return yield* new SpecConflictError({ name, message: `notifier ${name} was created by someone else meanwhile` })
          }
          return {
            action: "created" as const,
            notifier: { ...created, metadata: { ...created.metadata, resourceVersion: result.header.revision } }
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
        if (!specChanged && !metadataChanged) return { action: "unchanged" as const, notifier: stored }
        const updated: StoredNotifier = {
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
        if (options.dryRun === true) return { action: "configured" as const, notifier: updated }
        const result = yield* etcd.call(
          "update",
          (client) => client.if(key, "Mod", "==", revision).then(client.put(key).value(storedValue(updated))).commit()
        )
        if (!result.succeeded) {
          return yield* new SpecConflictError({ name, message: "the object has been modified since it was read; apply again to retry" })
        }
        return {
          action: "configured" as const,
          notifier: { ...updated, metadata: { ...updated.metadata, resourceVersion: result.header.revision } }
        }
      })

      const remove = Effect.fn("NotifierStore.remove")(function*(name: string) {
        const result = yield* etcd.call(
          "delete",
          (client) => client.if(keys.notifier(name), "Create", ">", 0).then(client.delete().key(keys.notifier(name))).commit()
        )
        return result.succeeded
      })

      return NotifierStore.of({ get, list, apply, remove })
    })
  )
}
