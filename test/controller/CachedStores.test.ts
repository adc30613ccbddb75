// The watch-fed cache in front of the stores: what it answers, what falls through to the store
// underneath, and that writes reach both.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { cachedStores } from "../../src/controller/CachedStores.ts"
import type { StateCache } from "../../src/controller/StateCache.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"

const web = "web.main" as InstanceName
const api = "api.main" as InstanceName

const cache = (
  state: { synced: boolean; specs: Map<string, StoredInstance>; statuses: Map<string, InstanceStatus>; invalid: Map<string, string> }
): StateCache => ({
  specNames: () => [...state.specs.keys()],
  specsSynced: () => state.synced,
  invalidSpec: (name) => state.invalid.get(name),
  invalidNames: () => [...state.invalid.keys()],
  statusNames: () => [...state.statuses.keys()],
  statusesSynced: () => state.synced,
  synced: Effect.void,
  spec: (name) => (state.synced ? Option.fromUndefinedOr(state.specs.get(name)) : undefined),
  status: (name) => (state.synced ? state.statuses.get(name) : false),
  drainRecords: () => undefined,
  wroteStatus: (name, status) => {
    if (status === undefined) state.statuses.delete(name)
    else state.statuses.set(name, status)
  }
})

const applied = (name: string) =>
  Effect.gen(function*() {
    const specs = yield* SpecStore
    const result = yield* specs.apply({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name },
      spec: { gitSha: "abcdef12", image: `${name}:1`, instances: 1, ports: [8080] }
    })
    return result.instance
  })
const fences = [{ key: "leader", createRevision: "1" }]

describe("cachedStores", () => {
  it.effect("reads from the cache once listed, from the store before; an unreadable spec is corrupt, never absent", () =>
    Effect.gen(function*() {
      const inStore = yield* applied("web.main")
      const state = {
        synced: false,
        specs: new Map<string, StoredInstance>(),
        statuses: new Map<string, InstanceStatus>(),
        invalid: new Map<string, string>()
      }
      const read = (name: InstanceName) =>
        Effect.gen(function*() {
          return yield* (yield* SpecStore).get(name)
        }).pipe(Effect.provide(cachedStores(cache(state))))

      // Not listed yet: the store answers.
      assert.deepStrictEqual(yield* read(web), Option.some(inStore))
      // Listed: the cache answers, even where the store would say otherwise (the watch is the truth it keeps).
      state.synced = true
      assert.isTrue(Option.isNone(yield* read(web)))
      const other = { ...inStore, metadata: { ...inStore.metadata, name: "api.main" } }
      state.specs.set("api.main", other)
      assert.deepStrictEqual(yield* read(api), Option.some(other))
      state.invalid.set("web.main", "spec.drain: unknown field")
      const corrupt = yield* Effect.exit(read(web))
      assert.isTrue(Exit.isFailure(corrupt))
      assert.match(JSON.stringify(corrupt), /CorruptSpecError[\s\S]*unknown field/)
    }).pipe(Effect.provide(SpecStore.layerMemory), Effect.provide(StatusStore.layerMemory)))

  it.effect("status writes and removals reach the store and the cache; reads come from the cache", () =>
    Effect.gen(function*() {
      const state = {
        synced: true,
        specs: new Map<string, StoredInstance>(),
        statuses: new Map<string, InstanceStatus>(),
        invalid: new Map<string, string>()
      }
      const status = { phase: "Running", observedGeneration: 1 } as unknown as InstanceStatus
      yield* Effect.gen(function*() {
        const statuses = yield* StatusStore
        yield* statuses.put(web, status, fences)
        assert.strictEqual(state.statuses.get("web.main"), status)
        assert.deepStrictEqual(yield* statuses.get(web), Option.some(status))
        state.statuses.delete("web.main")
        assert.isTrue(Option.isNone(yield* statuses.get(web)), "the cache answers, not the store")
        yield* statuses.remove(web, fences)
      }).pipe(Effect.provide(cachedStores(cache(state))))
      const underneath = yield* StatusStore
      assert.isTrue(Option.isNone(yield* underneath.get(web)), "the removal reached the store")
    }).pipe(Effect.provide(SpecStore.layerMemory), Effect.provide(StatusStore.layerMemory)))
})
