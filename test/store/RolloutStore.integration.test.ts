import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Layer as LayerType } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { PassTrace } from "../../src/rollouts/Rollout.ts"
import { rolloutLimit } from "../../src/rollouts/Rollout.ts"
import { RolloutStore } from "../../src/rollouts/RolloutStore.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { etcdRolloutStoreLayer } from "../../src/store/EtcdRolloutStore.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawCount, rawCreateRevision, rawDeletePrefix, rawGet, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// The rollout store on etcd behaves like the memory layer, keeps the newest 20 per instance under
// `<p>/rollouts/<name>/<generation>`, and recording never waits on etcd: with etcd out of reach a
// pass's record returns at once.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const t0 = Date.parse("2026-01-01T00:00:00.000Z")
const pass = (generation: number, phase: string, acted: boolean): PassTrace => ({
  instance: "web.main",
  generation,
  traceId: `trace-${generation}-${phase}`,
  startedAt: t0 + generation * 10_000,
  finishedAt: t0 + generation * 10_000 + 100,
  phase,
  appId: `/web.main.gitabc.config${generation}`,
  source: undefined,
  draining: 0,
  actions: acted
    ? [{
      name: "create app",
      startedAt: t0 + generation * 10_000 + 10,
      finishedAt: t0 + generation * 10_000 + 50,
      attributes: {},
      failed: false
    }]
    : []
})

/** Polls `effect` until `done` holds (the etcd writer is behind the record), for at most 20 s. */
const waitFor = <A, E>(effect: Effect.Effect<A, E>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 20_000
    for (;;) {
      const value = yield* effect
      if (done(value)) return value
      if (Date.now() > deadline) return assert.fail("timed out waiting for the rollouts")
      yield* Effect.sleep("50 millis")
    }
  })

/** A leadership term's fence: the leader key under `prefix`, as a controller would hold it. */
const leaderTerm = async (prefix: string) => {
  const key = `${prefix}/leader`
  await rawPut(etcd, key, "controller-a")
  return { key, createRevision: await rawCreateRevision(etcd, key) }
}

const conformance = (layer: LayerType.Layer<RolloutStore, unknown>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* RolloutStore
      yield* store.record(pass(1, "Bouncing", true))
      yield* store.record(pass(1, "Running", false))
      yield* store.record(pass(2, "Bouncing", true))
      const listed = yield* waitFor(store.list("web.main"), (rollouts) => rollouts.length === 2)
      assert.deepStrictEqual(listed.map((rollout) => [rollout.generation, rollout.result]), [[2, "InProgress"], [1, "Succeeded"]])
      assert.deepStrictEqual(listed[1]?.steps.map((step) => step.name), ["create app"])
      assert.deepStrictEqual(yield* store.list("api.main"), [])
    }).pipe(Effect.scoped, Effect.provide(layer))
  )

describe("RolloutStore", () => {
  it("in memory: passes fold into rollouts, newest generation first", () => conformance(RolloutStore.layerMemory))

  it("on etcd: the same, at <p>/rollouts/<name>/<generation>, newest 20 kept", async () => {
    const prefix = uniquePrefix("rollouts")
    await conformance(etcdRolloutStoreLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix))))
    assert.include(await rawGet(etcd, `${prefix}/rollouts/web.main/0000000001`), "\"result\":\"Succeeded\"")

    const many = etcdRolloutStoreLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        for (let generation = 3; generation <= rolloutLimit + 5; generation++) yield* store.record(pass(generation, "Bouncing", true))
        yield* waitFor(store.list("web.main"), (rollouts) => rollouts[0]?.generation === rolloutLimit + 5)
      }).pipe(Effect.scoped, Effect.provide(many))
    )
    assert.strictEqual(await rawCount(etcd, `${prefix}/rollouts/web.main/`), rolloutLimit)
  }, 60_000)

  it("passes queued together are folded in order and written in one transaction per leadership term", async () => {
    const prefix = uniquePrefix("rollout-batch")
    const fence = await leaderTerm(prefix)
    const instances = Array.from({ length: 20 }, (_, i) => `svc${i}.main`)
    // etcd's revision moves by one per transaction, however many keys it writes.
    const revision = async (marker: string) => {
      await rawPut(etcd, `${prefix}/marker/${marker}`, "x")
      return Number(await rawCreateRevision(etcd, `${prefix}/marker/${marker}`))
    }
    const before = await revision("before")
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        // Each instance: a create, its rollout finished, then the next generation begun (60 passes).
        for (const [step, phase, acted] of [[1, "Bouncing", true], [1, "Running", false], [2, "Bouncing", true]] as const) {
          for (const instance of instances) yield* store.record({ ...pass(step, phase, acted), instance, fence })
        }
        for (const instance of instances) {
          const listed = yield* waitFor(store.list(instance), (rollouts) => rollouts.length === 2)
          assert.deepStrictEqual(listed.map((rollout) => [rollout.generation, rollout.result]), [[2, "InProgress"], [1, "Succeeded"]])
        }
      }).pipe(Effect.scoped, Effect.provide(etcdRolloutStoreLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))))
    )
    const transactions = (await revision("after")) - before - 1
    // The writer takes what has queued up: the first pass alone at most, then the rest together.
    assert.isAtMost(transactions, 4, `60 passes written in ${transactions} transactions`)
    assert.strictEqual(await rawCount(etcd, `${prefix}/rollouts/`), 40)
  }, 30_000)

  it("the histories a batch needs are read together, in one transaction, and folded as read", async () => {
    const prefix = uniquePrefix("rollout-prefetch")
    const fence = await leaderTerm(prefix)
    const instances = Array.from({ length: 40 }, (_, i) => `svc${i}.main`)
    const layer = () => etcdRolloutStoreLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))
    // Generation 1 begun for every instance, by one store.
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        for (const instance of instances) yield* store.record({ ...pass(1, "Bouncing", true), instance, fence })
      }).pipe(Effect.scoped, Effect.provide(layer()))
    )
    assert.strictEqual(await rawCount(etcd, `${prefix}/rollouts/`), instances.length)
    // A store that has read nothing yet (a new leader) records generation 2 for all of them: each
    // pass needs its instance's history, and the etcd requests it makes for them are counted.
    const reads: Array<string> = []
    const counting = Layer.effect(
      EtcdClient,
      Effect.map(EtcdClient, (inner) =>
        EtcdClient.of({
          ...inner,
          callIdempotent: (operation, f) => {
            reads.push(operation)
            return inner.callIdempotent(operation, f)
          }
        }))
    ).pipe(Layer.provide(etcdLayer(etcd, prefix)))
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        for (const instance of instances) yield* store.record({ ...pass(2, "Bouncing", true), instance, fence })
        // Both generations of every instance stored: the writer is through.
        yield* waitFor(Effect.promise(() => rawCount(etcd, `${prefix}/rollouts/`)), (count) => count === 2 * instances.length)
      }).pipe(Effect.scoped, Effect.provide(etcdRolloutStoreLayer.pipe(Layer.provide(counting))))
    )
    // The writer takes what has queued up: the first pass alone at most, then the rest together.
    const historyReads = reads.filter((operation) => operation === "list rollouts").length
    assert.isAtMost(historyReads, 3, `40 histories read in ${historyReads} requests`)
    // Folded over what was read: generation 1, begun, is superseded by 2 (an empty history would leave it in progress).
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        for (const instance of instances) {
          const listed = yield* store.list(instance)
          assert.deepStrictEqual(
            listed.map((rollout) => [rollout.generation, rollout.result]),
            [[2, "InProgress"], [1, "Superseded"]],
            instance
          )
        }
      }).pipe(Effect.scoped, Effect.provide(layer()))
    )
  }, 30_000)

  it("a pass is written only while the leader key it ran under holds: a deposed leader's queued passes write nothing", async () => {
    const prefix = uniquePrefix("rollout-fence")
    const leaderKey = `${prefix}/leader`
    await rawPut(etcd, leaderKey, "controller-a")
    const termA = { key: leaderKey, createRevision: await rawCreateRevision(etcd, leaderKey) }
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        yield* store.record({ ...pass(1, "Bouncing", true), fence: termA })
        yield* waitFor(store.list("web.main"), (rollouts) => rollouts.length === 1)
        // The term ends (the key is deleted) and another begins: passes of the old term write nothing.
        yield* Effect.promise(() => rawDeletePrefix(etcd, leaderKey))
        yield* Effect.promise(() => rawPut(etcd, leaderKey, "controller-b"))
        const termB = { key: leaderKey, createRevision: yield* Effect.promise(() => rawCreateRevision(etcd, leaderKey)) }
        yield* store.record({ ...pass(1, "Running", false), fence: termA })
        yield* store.record({ ...pass(2, "Bouncing", true), fence: termA })
        yield* store.record({ ...pass(3, "Bouncing", true), fence: termB })
        const listed = yield* waitFor(store.list("web.main"), (rollouts) => rollouts.some((rollout) => rollout.generation === 3))
        // Neither the old term's Running pass (gen 1 would be Succeeded) nor its gen 2 is in.
        assert.deepStrictEqual(listed.map((rollout) => [rollout.generation, rollout.result]), [[3, "InProgress"], [1, "Superseded"]])
      }).pipe(Effect.scoped, Effect.provide(etcdRolloutStoreLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))))
    )
  }, 30_000)

  it("recording never waits on etcd: with no member reachable it returns at once", async () => {
    const unreachable = EtcdClient.layer({
      endpoints: ["http://127.0.0.1:9"],
      prefix: uniquePrefix("gone"),
      callTimeoutMs: 1_000,
      dialTimeoutMs: 500
    })
    const started = performance.now()
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* RolloutStore
        for (let generation = 1; generation <= 50; generation++) yield* store.record(pass(generation, "Bouncing", true))
        assert.isBelow(performance.now() - started, 1_000)
      }).pipe(Effect.scoped, Effect.provide(etcdRolloutStoreLayer.pipe(Layer.provide(unreachable))))
    )
  }, 30_000)
})
