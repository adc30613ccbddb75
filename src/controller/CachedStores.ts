// The leader's watch-fed cache as a decorator of the spec and status stores, the way client-go's
// listers sit in front of the API server: once a prefix has been listed, reads are answered from
// memory; writes go to etcd and are written through, so the next read sees them before the watch
// does. A spec the cache knows to be undecodable reads as CorruptSpecError, as from etcd: never as
// "deleted" (design.md §11). Until the first list, every read falls through to etcd.
import { Effect, Layer, Option } from "effect"
import { CorruptSpecError, SpecStore } from "../store/SpecStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import type { StateCache } from "./StateCache.ts"

const cachedSpecs = (cache: StateCache) =>
  Layer.effect(
    SpecStore,
    Effect.map(SpecStore, (base) =>
      SpecStore.of({
        ...base,
        get: (name) => {
          const unreadable = cache.invalidSpec(name)
          if (unreadable !== undefined) return Effect.fail(new CorruptSpecError({ key: name, message: unreadable }))
          const cached = cache.spec(name)
          return cached === undefined ? base.get(name) : Effect.succeed(cached)
        }
      }))
  )

const cachedStatuses = (cache: StateCache) =>
  Layer.effect(
    StatusStore,
    Effect.map(StatusStore, (base) =>
      StatusStore.of({
        ...base,
        get: (name) => {
          const cached = cache.status(name)
          return cached === false ? base.get(name) : Effect.succeed(Option.fromUndefinedOr(cached))
        },
        put: (name, status, fences, giveBack) =>
          Effect.tap(base.put(name, status, fences, giveBack), (revision) => Effect.sync(() => cache.wroteStatus(name, status, revision))),
        remove: (name, fences) =>
          Effect.tap(base.remove(name, fences), (revision) => Effect.sync(() => cache.wroteStatus(name, undefined, revision)))
      }))
  )

/** SpecStore and StatusStore answered from `cache`, over the SpecStore and StatusStore underneath. */
export const cachedStores = (cache: StateCache): Layer.Layer<SpecStore | StatusStore, never, SpecStore | StatusStore> =>
  Layer.merge(cachedSpecs(cache), cachedStatuses(cache))
