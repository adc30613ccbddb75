// SpecStore.applyMany against a real etcd: many specs to a transaction, each with the outcome and
// the guards `apply` alone gives it, and the memory layer deciding the same.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { makeKeys } from "../../src/store/Keys.ts"
import type { ApplyItem } from "../../src/store/SpecStore.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { currentRevision, rawDeletePrefix, rawPut, specStoreLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const doc = (name: string, image: string, instances = 2): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: name as InstanceName },
  spec: { image, instances }
})
const names = (count: number) => Array.from({ length: count }, (_, index) => `svc${String(index).padStart(4, "0")}.main`)

const onEtcd = <A, E>(prefix: string, body: Effect.Effect<A, E, SpecStore>) =>
  Effect.runPromise(body.pipe(Effect.provide(specStoreLayer(etcd, prefix))))
const onMemory = <A, E>(body: Effect.Effect<A, E, SpecStore>) => Effect.runPromise(body.pipe(Effect.provide(SpecStore.layerMemory)))

const actions = (outcomes: ReadonlyArray<Result.Result<{ readonly action: string }, { readonly _tag: string }>>) =>
  outcomes.map((outcome) => Result.isSuccess(outcome) ? outcome.success.action : outcome.failure._tag)

describe("SpecStore.applyMany", () => {
  it("creates 300 specs in a few transactions, each spec with its history entry", async () => {
    const prefix = uniquePrefix("batch-create")
    const before = await currentRevision(etcd)
    const outcomes = await onEtcd(
      prefix,
      Effect.flatMap(SpecStore, (store) => store.applyMany(names(300).map((name) => ({ document: doc(name, "web:1") }))))
    )
    const after = await currentRevision(etcd)
    assert.deepStrictEqual(actions(outcomes), names(300).map(() => "created"))
    // Each create is two puts (spec, history entry): 64 to a transaction under etcd's 128 ops.
    assert.strictEqual(Number(after - before), 5, "one etcd revision per transaction: ceil(300 / 64)")
    const revisions = new Set(outcomes.map((outcome) => Result.getOrThrow(outcome).instance.metadata.resourceVersion))
    assert.strictEqual(revisions.size, 5)
    await onEtcd(
      prefix,
      Effect.gen(function*() {
        const store = yield* SpecStore
        const listed = yield* store.list()
        assert.strictEqual(listed.items.length, 300)
        for (const item of listed.items) {
          const written = outcomes.find((outcome) => Result.getOrThrow(outcome).instance.metadata.name === item.metadata.name)
          assert.strictEqual(item.metadata.resourceVersion, Result.getOrThrow(written!).instance.metadata.resourceVersion)
        }
        const history = yield* store.history("svc0299.main" as InstanceName)
        assert.deepStrictEqual(history.map((entry) => entry.generation), [1])
      })
    )
  })

  it("fails only the spec that moved: its transaction is retried spec by spec", async () => {
    const prefix = uniquePrefix("batch-conflict")
    const outcomes = await onEtcd(
      prefix,
      Effect.gen(function*() {
        const store = yield* SpecStore
        yield* store.applyMany(names(3).map((name) => ({ document: doc(name, "web:1") })))
        const listed = yield* store.list()
        const current = (name: string) => Option.fromUndefinedOr(listed.items.find((item) => item.metadata.name === name))
        // Someone else rewrites svc0001 after the caller read it.
        yield* Effect.promise(() =>
          rawPut(
            etcd,
            `${makeKeys(prefix).specs}svc0001.main`,
            JSON.stringify({ ...doc("svc0001.main", "hand:9"), metadata: { ...listed.items[1]!.metadata, resourceVersion: undefined } })
          )
        )
        const items: Array<ApplyItem> = [
          ...names(3).map((name) => ({ document: doc(name, "web:2"), options: { current: current(name) } })),
          { document: doc("new0.main", "web:2"), options: { current: Option.none() } }
        ]
        return yield* store.applyMany(items)
      })
    )
    assert.deepStrictEqual(actions(outcomes), ["configured", "SpecConflictError", "configured", "created"])
    const stored = await onEtcd(prefix, Effect.flatMap(SpecStore, (store) => store.get("svc0001.main" as InstanceName)))
    assert.strictEqual(Option.getOrThrow(stored).spec.image, "hand:9", "the hand edit is not overwritten")
  })

  it("decides each item as apply does: unchanged, conflicts, dry runs, one name twice, history kept to 10", async () => {
    const scenario = Effect.gen(function*() {
      const store = yield* SpecStore
      for (let version = 1; version <= 10; version++) yield* store.apply(doc("old.main", `old:${version}`))
      yield* store.apply(doc("same.main", "same:1"))
      const outcomes = yield* store.applyMany([
        { document: doc("same.main", "same:1") },
        { document: doc("old.main", "old:11") },
        { document: doc("stale.main", "stale:1"), options: { expectedResourceVersion: "12345" } },
        { document: doc("dry.main", "dry:1"), options: { dryRun: true } },
        { document: doc("twice.main", "twice:1") },
        { document: doc("twice.main", "twice:2") }
      ])
      const history = yield* store.history("old.main" as InstanceName)
      const twice = yield* store.get("twice.main" as InstanceName)
      const dry = yield* store.get("dry.main" as InstanceName)
      return {
        actions: actions(outcomes),
        history: history.map((entry) => entry.spec.image),
        twice: Option.getOrThrow(twice).spec.image,
        dry: Option.isNone(dry)
      }
    })
    const expected = {
      actions: ["unchanged", "configured", "SpecConflictError", "created", "created", "configured"],
      history: Array.from({ length: 10 }, (_, index) => `old:${index + 2}`),
      twice: "twice:2",
      dry: true
    }
    assert.deepStrictEqual(await onEtcd(uniquePrefix("batch-decide"), scenario), expected)
    assert.deepStrictEqual(await onMemory(scenario), expected)
  })

  it("writes nothing once a fence is gone", async () => {
    const prefix = uniquePrefix("batch-fence")
    const fenceKey = `${prefix}/leader`
    await rawPut(etcd, fenceKey, "me")
    const createRevision = String(await currentRevision(etcd))
    const fences = [{ key: fenceKey, createRevision }]
    const held = await onEtcd(
      prefix,
      Effect.flatMap(SpecStore, (store) => store.applyMany(names(2).map((name) => ({ document: doc(name, "web:1"), options: { fences } }))))
    )
    assert.deepStrictEqual(actions(held), ["created", "created"])
    // Another writer takes the key over: a new create revision.
    await rawDeletePrefix(etcd, fenceKey)
    await rawPut(etcd, fenceKey, "successor")
    const refused = await onEtcd(
      prefix,
      Effect.flatMap(SpecStore, (store) => store.applyMany(names(4).map((name) => ({ document: doc(name, "web:2"), options: { fences } }))))
    )
    assert.deepStrictEqual(actions(refused), names(4).map(() => "SpecConflictError"))
    for (const outcome of refused) assert.match(Result.isFailure(outcome) ? outcome.failure.message : "", /no longer held/)
    const stored = await onEtcd(prefix, Effect.flatMap(SpecStore, (store) => store.list()))
    assert.deepStrictEqual(stored.items.map((item) => item.spec.image), ["web:1", "web:1"])
  })
})
