// The stores a read-only command uses (SpecStore, StatusStore, GitSourceStore, NotifierStore),
// reading etcd through its JSON gateway (EtcdGateway) rather than etcd3: the same keys, parsed by
// the same functions as the etcd layers, so a command sees the same thing either way. Their write
// methods are defects: a command given these layers only reads (writes and watches keep etcd3).
import { Effect, Layer, Option } from "effect"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import type { GitSourceStatus } from "../domain/GitSource.ts"
import type { EtcdOptions } from "./EtcdOptions.ts"
import { EtcdGateway } from "./EtcdGateway.ts"
import type { StoredGitSource } from "./GitSourceStore.ts"
import { GitSourceStore, parseSourceStatus, parseStoredSource } from "./GitSourceStore.ts"
import { makeKeys } from "./Keys.ts"
import type { StoredNotifier } from "./NotifierStore.ts"
import { NotifierStore, parseStoredNotifier } from "./NotifierStore.ts"
import type { HistoryEntry, StoredInstance } from "./SpecStore.ts"
import { CorruptSpecError, parseStored, SpecStore } from "./SpecStore.ts"
import { parseStatus, StatusStore } from "./StatusStore.ts"

const readOnly = (method: string) => () => Effect.die(new Error(`${method}: this store reads through etcd's JSON gateway and cannot write`))

const specStore = Layer.effect(
  SpecStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const get = Effect.fn("SpecStore.get")(function*(name: string) {
      const key = keys.spec(name)
      const kv = yield* etcd.get("get", key)
      if (Option.isNone(kv)) return Option.none<StoredInstance>()
      const parsed = parseStored(key, kv.value.value, kv.value.modRevision)
      if (parsed instanceof CorruptSpecError) return yield* parsed
      return Option.some(parsed)
    })
    const list = Effect.fn("SpecStore.list")(function*(options: { readonly reuse?: ReadonlyMap<string, StoredInstance> } = {}) {
      const { kvs, revision } = yield* etcd.list("list", keys.specs)
      const items: Array<StoredInstance> = []
      const corrupt: Array<CorruptSpecError> = []
      for (const kv of kvs) {
        const known = options.reuse?.get(kv.key.slice(keys.specs.length))
        if (known !== undefined && known.metadata.resourceVersion === kv.modRevision) {
          items.push(known)
          continue
        }
        const parsed = parseStored(kv.key, kv.value, kv.modRevision)
        if (parsed instanceof CorruptSpecError) corrupt.push(parsed)
        else items.push(parsed)
      }
      return { items, corrupt, revision }
    })
    const history = Effect.fn("SpecStore.history")(function*(name: string) {
      const { kvs } = yield* etcd.list("history", keys.history(name))
      return kvs.map((kv) => JSON.parse(kv.value) as HistoryEntry).sort((a, b) => a.generation - b.generation)
    })
    return SpecStore.of({
      get,
      list,
      history,
      apply: readOnly("SpecStore.apply"),
      remove: readOnly("SpecStore.remove"),
      removeAll: readOnly("SpecStore.removeAll"),
      applyMany: readOnly("SpecStore.applyMany")
    })
  })
)

const statusStore = Layer.effect(
  StatusStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const get = Effect.fn("StatusStore.get")(function*(name: string) {
      const kv = yield* etcd.get("get status", keys.status(name))
      return Option.isNone(kv) ? Option.none<InstanceStatus>() : parseStatus(kv.value.value)
    })
    const list = Effect.fn("StatusStore.list")(function*() {
      const { kvs } = yield* etcd.list("list status", keys.statuses)
      const statuses = new Map<string, InstanceStatus>()
      for (const kv of kvs) {
        const status = parseStatus(kv.value)
        if (Option.isSome(status)) statuses.set(kv.key.slice(keys.statuses.length), status.value)
      }
      return statuses
    })
    return StatusStore.of({ get, list, put: readOnly("StatusStore.put"), remove: readOnly("StatusStore.remove") })
  })
)

const gitSourceStore = Layer.effect(
  GitSourceStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const get = Effect.fn("GitSourceStore.get")(function*(name: string) {
      const key = keys.gitSource(name)
      const kv = yield* etcd.get("get", key)
      if (Option.isNone(kv)) return Option.none<StoredGitSource>()
      const parsed = parseStoredSource(key, kv.value.value, kv.value.modRevision)
      if (parsed instanceof CorruptSpecError) return yield* parsed
      return Option.some(parsed)
    })
    const list = Effect.fn("GitSourceStore.list")(function*() {
      const { kvs } = yield* etcd.list("list", keys.gitSources)
      return kvs.flatMap((kv) => {
        const parsed = parseStoredSource(kv.key, kv.value, kv.modRevision)
        return parsed instanceof CorruptSpecError ? [] : [parsed]
      })
    })
    const status = Effect.fn("GitSourceStore.status")(function*(name: string) {
      const kv = yield* etcd.get("get status", keys.gitSourceStatus(name))
      return Option.isNone(kv) ? Option.none<GitSourceStatus>() : parseSourceStatus(kv.value.value)
    })
    const statuses = Effect.fn("GitSourceStore.statuses")(function*() {
      const prefix = keys.gitSourceStatus("")
      const { kvs } = yield* etcd.list("list status", prefix)
      const map = new Map<string, GitSourceStatus>()
      for (const kv of kvs) {
        const status = parseSourceStatus(kv.value)
        if (Option.isSome(status)) map.set(kv.key.slice(prefix.length), status.value)
      }
      return map as ReadonlyMap<string, GitSourceStatus>
    })
    return GitSourceStore.of({
      get,
      list,
      status,
      statuses,
      apply: readOnly("GitSourceStore.apply"),
      remove: readOnly("GitSourceStore.remove"),
      putStatus: readOnly("GitSourceStore.putStatus"),
      request: readOnly("GitSourceStore.request"),
      pendingRequest: readOnly("GitSourceStore.pendingRequest"),
      clearRequest: readOnly("GitSourceStore.clearRequest")
    })
  })
)

const notifierStore = Layer.effect(
  NotifierStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdGateway
    const keys = makeKeys(etcd.prefix)
    const get = Effect.fn("NotifierStore.get")(function*(name: string) {
      const key = keys.notifier(name)
      const kv = yield* etcd.get("get", key)
      if (Option.isNone(kv)) return Option.none<StoredNotifier>()
      const parsed = parseStoredNotifier(key, kv.value.value, kv.value.modRevision)
      if (parsed instanceof CorruptSpecError) return yield* parsed
      return Option.some(parsed)
    })
    const list = Effect.fn("NotifierStore.list")(function*() {
      const { kvs } = yield* etcd.list("list", keys.notifiers)
      return kvs.flatMap((kv) => {
        const parsed = parseStoredNotifier(kv.key, kv.value, kv.modRevision)
        return parsed instanceof CorruptSpecError ? [] : [parsed]
      })
    })
    return NotifierStore.of({ get, list, apply: readOnly("NotifierStore.apply"), remove: readOnly("NotifierStore.remove") })
  })
)

/** The four stores, read-only, over the JSON gateway; EtcdGateway stays reachable for other reads. */
export const gatewayStoreLayer = (options: EtcdOptions & { readonly pageSize?: number }) =>
  Layer.mergeAll(specStore, statusStore, gitSourceStore, notifierStore).pipe(Layer.provideMerge(EtcdGateway.layer(options)))
