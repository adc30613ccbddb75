// Observed state per instance, in `<p>/status/<name>`, written only by whoever holds the right to
// act: the controller leader or a `mdeploy reconcile` holding the instance lock. Writes are fenced:
// the transaction succeeds only while the proving key (leader election key or lock key) still exists
// with the create revision the writer got, so a paused ex-leader cannot overwrite a successor's status.
import { Context, Effect, Layer, Option, Schema } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import { InstanceStatus } from "../domain/InstanceStatus.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import type { StoreError } from "./StoreError.ts"

/** Proof of the right to write: a key and the create revision it had when the right was granted. */
export interface Fence {
  readonly key: string
  readonly createRevision: string
}

export class FenceLostError extends Schema.TaggedError<FenceLostError>()("FenceLostError", {
  key: Schema.String,
  message: Schema.String
}) {}

const decodeStatus = Schema.decodeUnknownOption(InstanceStatus)

export const parseStatus = (value: string): Option.Option<InstanceStatus> => {
  try {
    return decodeStatus(JSON.parse(value))
  } catch {
    return Option.none()
  }
}

export class StatusStore extends Context.Service<StatusStore, {
  readonly get: (name: InstanceName) => Effect.Effect<Option.Option<InstanceStatus>, StoreError>
  /** Every status, by instance name. Unreadable values are skipped: status is rebuilt on the next reconcile. */
  readonly list: () => Effect.Effect<ReadonlyMap<string, InstanceStatus>, StoreError>
  /**
   * Writes status only while every fence still holds (leader key, instance lock), and deletes the
   * keys of `giveBack` in the same transaction (the pass's locks, given back with its last write;
   * the memory layer leaves them to the locks' own layer). Returns the etcd revision of the
   * write, to order it against watch events.
   */
  readonly put: (
    name: InstanceName,
    status: InstanceStatus,
    fences: ReadonlyArray<Fence>,
    giveBack?: ReadonlyArray<Fence>
  ) => Effect.Effect<string, StoreError | FenceLostError>
  readonly remove: (name: InstanceName, fences: ReadonlyArray<Fence>) => Effect.Effect<string, StoreError | FenceLostError>
}>()("mdeploy/store/StatusStore") {
  static readonly layerNoDeps = Layer.effect(
    StatusStore,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      const keys = makeKeys(etcd.prefix)

      const get = Effect.fn("StatusStore.get")(function*(name: InstanceName) {
        const value = yield* etcd.callIdempotent("get status", (client) => client.get(keys.status(name)).string())
        return value === null ? Option.none<InstanceStatus>() : parseStatus(value)
      })

      const list = Effect.fn("StatusStore.list")(function*() {
        const values = yield* etcd.callIdempotent("list status", (client) => client.getAll().prefix(keys.statuses).strings())
        const statuses = new Map<string, InstanceStatus>()
        for (const [key, value] of Object.entries(values)) {
          const status = parseStatus(value)
          if (Option.isSome(status)) statuses.set(key.slice(keys.statuses.length), status.value)
        }
        return statuses
      })

      const fenced = Effect.fnUntraced(function*(
        operation: string,
        fences: ReadonlyArray<Fence>,
        write: (client: EtcdClient["Service"]["client"]) => Parameters<ReturnType<EtcdClient["Service"]["client"]["if"]>["then"]>[0],
        giveBack: ReadonlyArray<Fence> = []
      ) {
        const [first, ...rest] = fences
        if (first === undefined) return yield* Effect.die(new Error(`${operation} needs at least one fence`))
        const result = yield* etcd.call(operation, (client) => {
          const guard = client.if(first.key, "Create", "==", first.createRevision)
          for (const fence of rest) guard.and(fence.key, "Create", "==", fence.createRevision)
          return guard.then(write(client), ...giveBack.map((held) => client.delete().key(held.key))).commit()
        })
        if (!result.succeeded) {
          const keys = fences.map((fence) => fence.key).join(", ")
          return yield* new FenceLostError({ key: keys, message: `${operation} refused: ${keys} no longer held by this writer` })
        }
        return result.header.revision
      })

      const put = Effect.fn("StatusStore.put")(function*(
        name: InstanceName,
        status: InstanceStatus,
        fences: ReadonlyArray<Fence>,
        giveBack?: ReadonlyArray<Fence>
      ) {
        return yield* fenced("put status", fences, (client) => client.put(keys.status(name)).value(JSON.stringify(status)), giveBack)
      })

      const remove = Effect.fn("StatusStore.remove")(function*(name: InstanceName, fences: ReadonlyArray<Fence>) {
        return yield* fenced("remove status", fences, (client) => client.delete().key(keys.status(name)))
      })

      return StatusStore.of({ get, list, put, remove })
    })
  )

  /**
   * For service-level tests: statuses round-trip through their JSON as in etcd, and a write needs
   * a fence as there; whether a fence still holds is etcd's to say (its tests cover fence loss),
   * so here every fence holds.
   */
  static readonly layerMemory: Layer.Layer<StatusStore> = Layer.sync(StatusStore, () => {
    const values = new Map<string, string>()
    let revision = 0
    const needsFence = (operation: string, fences: ReadonlyArray<Fence>) =>
      fences.length === 0 ? Effect.die(new Error(`${operation} needs at least one fence`)) : Effect.void
    return StatusStore.of({
      get: (name) => Effect.sync(() => Option.flatMap(Option.fromNullishOr(values.get(name)), parseStatus)),
      list: () =>
        Effect.sync(() => {
          const statuses = new Map<string, InstanceStatus>()
          for (const [name, value] of values) Option.map(parseStatus(value), (status) => statuses.set(name, status))
          return statuses
        }),
      put: (name, status, fences) =>
        Effect.andThen(
          needsFence("put status", fences),
          Effect.sync(() => {
            values.set(name, JSON.stringify(status))
            return String(++revision)
          })
        ),
      remove: (name, fences) =>
        Effect.andThen(
          needsFence("remove status", fences),
          Effect.sync(() => {
            values.delete(name)
            return String(++revision)
          })
        )
    })
  })
}
