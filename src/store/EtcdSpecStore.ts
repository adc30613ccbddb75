// The etcd layer of SpecStore (design.md §3): every write is a compare-and-swap transaction on the
// spec key's mod revision, with its history entry (and the history trimmed to the newest 10) in
// the same transaction. What to write is decided by SpecStore's pure `decideApply`, which the
// memory layer shares.
import { DateTime, Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { ServiceInstance } from "../domain/ServiceInstance.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { historyLimit, makeKeys } from "./Keys.ts"
import type { ApplyOptions, HistoryEntry, RemoveOptions, StoredInstance } from "./SpecStore.ts"
import type { Fence } from "./StatusStore.ts"
import { CorruptSpecError, decideApply, parseStored, SpecConflictError, SpecStore, storedValue, withRevision } from "./SpecStore.ts"

export const etcdSpecStoreLayer: Layer.Layer<SpecStore, never, EtcdClient> = Layer.effect(
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

    // Every fence is one more compare in the write's transaction (see ApplyOptions.fences).
    const guard = (
      client: EtcdClient["Service"]["client"],
      key: string,
      column: "Create" | "Mod",
      value: string | number,
      fences: ReadonlyArray<Fence> = []
    ) => {
      const comparison = client.if(key, column, "==", value)
      for (const fence of fences) comparison.and(fence.key, "Create", "==", fence.createRevision)
      return comparison
    }
    /** Why a fenced write failed: a fence no longer held, or else the object moved. */
    const refusal = Effect.fnUntraced(function*(name: string, fences: ReadonlyArray<Fence> | undefined, otherwise: string) {
      for (const fence of fences ?? []) {
        const held = yield* etcd.callIdempotent("read fence", (client) => client.get(fence.key).exec())
        if (held.kvs[0]?.create_revision !== fence.createRevision) {
          return conflict(name, `refused: ${fence.key} is no longer held by this writer`)
        }
      }
      return conflict(name, otherwise)
    })

    const apply = Effect.fn("SpecStore.apply")(function*(given: ServiceInstance, options: ApplyOptions = {}) {
      const name = given.metadata.name
      const key = keys.spec(name)
      const current = options.current ?? (yield* get(name))
      const decision = decideApply(current, given, options, DateTime.formatIso(yield* DateTime.now), randomUUID)
      switch (decision._tag) {
        case "Conflict":
          return yield* conflict(name, decision.message)
        case "Unchanged":
          return { action: "unchanged" as const, instance: decision.instance }
        case "Create": {
          if (options.dryRun === true) return { action: "created" as const, instance: decision.instance }
          const result = yield* etcd.call("create", (client) =>
            guard(client, key, "Create", 0, options.fences)
              .then(
                client.put(key).value(storedValue(decision.instance)),
                client.put(keys.historyEntry(name, 1)).value(JSON.stringify(decision.history))
              )
              .commit())
          if (!result.succeeded) {
            return yield* (yield* refusal(name, options.fences, `${name} was created by someone else meanwhile; re-read and retry`))
          }
          return { action: "created" as const, instance: withRevision(decision.instance, result.header.revision) }
        }
        case "Update": {
          if (options.dryRun === true) return { action: "configured" as const, instance: decision.instance }
          const history = decision.history
          // Revisions are sparse generations, so the ones to drop are found by listing; the spec
          // key's compare-and-swap below serialises every writer of this history.
          const kept = history === undefined
            ? []
            : [...(yield* etcd.callIdempotent("historyKeys", (client) => client.getAll().prefix(keys.history(name)).keys()))].sort()
          const dropped = kept.slice(0, Math.max(0, kept.length + 1 - historyLimit))
          const result = yield* etcd.call("update", (client) => {
            const writes = [client.put(key).value(storedValue(decision.instance))]
            const historyOps = history === undefined
              ? []
              : [
                client.put(keys.historyEntry(name, history.generation)).value(JSON.stringify(history)),
                ...dropped.map((old) => client.delete().key(old))
              ]
            return guard(client, key, "Mod", decision.expectedRevision, options.fences).then(...writes, ...historyOps).commit()
          })
          if (!result.succeeded) {
            return yield* (yield* refusal(name, options.fences, `the object has been modified since it was read; apply again to retry`))
          }
          return { action: "configured" as const, instance: withRevision(decision.instance, result.header.revision) }
        }
      }
    })

    const remove = Effect.fn("SpecStore.remove")(function*(
      name: InstanceName,
      options: RemoveOptions = {}
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
        guard(client, key, "Mod", revision, options.fences)
          .then(client.delete().key(key), client.delete().prefix(keys.history(name)))
          .commit())
      if (!result.succeeded) {
        return yield* (yield* refusal(name, options.fences, `the object has been modified since it was read; delete again to retry`))
      }
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
        return guard.then(
          ...found.flatMap(({ name }) => [client.delete().key(keys.spec(name)), client.delete().prefix(keys.history(name))])
        ).commit()
      })
      if (!result.succeeded) {
        return yield* conflict(
          found[0]!.name,
          `one of ${found.length} specs was modified since it was read; nothing was deleted, delete again to retry`
        )
      }
      return { removed: found.map((entry) => entry.name), missing }
    })

    return SpecStore.of({ get, list, apply, remove, removeAll, history })
  })
)
