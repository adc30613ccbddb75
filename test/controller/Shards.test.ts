// Several Marathon shards in memory: the executor sends every write to the shard of the app it is
// about, and the observer never takes a shard it cannot read for a shard without apps (design.md
// §11): an instance that lives there, or may have apps there, waits and says why; an instance that
// needs nothing from it goes on.
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import type { Desired } from "../../src/controller/DesiredState.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { makeInstanceObserver } from "../../src/controller/InstanceObserver.ts"
import { makeMarathonSnapshot } from "../../src/controller/MarathonSnapshot.ts"
import { Owner } from "../../src/controller/Owner.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { rendezvousShard } from "../../src/domain/ShardPlacement.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonClient } from "../../src/marathon/MarathonClient.ts"
import { MarathonError, Unavailable } from "../../src/marathon/MarathonError.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import { MesosMaintenance } from "../../src/marathon/MesosMaintenance.ts"
import type { ObservedApp } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, at, drainState, newId, spec, tasks } from "../plan/Fixtures.ts"

const ours = (observedApp: ObservedApp): ObservedApp => ({ ...observedApp, labels: { ...observedApp.labels, MDEPLOY_OWNER: "us" } })

/** Two in-memory Marathons, "a" and "b", each with its own memory control. */
const twoShards = Effect.gen(function*() {
  const build = Effect.map(Layer.build(MarathonMemory.layer), (context) => ({
    client: Context.get(context, MarathonClient),
    memory: Context.get(context, MarathonMemory)
  }))
  const a = yield* build
  const b = yield* build
  const shards = MarathonShards.make([
    { name: "a", retiring: false, client: a.client },
    { name: "b", retiring: false, client: b.client }
  ])
  return { a: a.memory, b: b.memory, shards }
})

const services = Layer.mergeAll(
  Owner.layer({ owner: "us", adoptUnowned: false }),
  MesosMaintenance.layerNone,
  DrainRecords.layerMemory,
  DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
)

const down = (memory: MarathonMemory["Service"]) =>
  memory.failNext("listApps", ...Array.from({ length: 100 }, () => new Unavailable({ message: "connection refused" })))

const writes = (calls: ReadonlyArray<{ readonly operation: string }>) =>
  calls.map((call) => call.operation).filter((operation) => operation !== "getApp" && operation !== "listApps")

describe("executor over shards", () => {
  it.effect("a shard move: the create goes to the new shard, the old app's kill and delete to the old one", () =>
    Effect.gen(function*() {
      const { a, b, shards } = yield* twoShards
      const desired = spec({ cmd: "serve", instances: 2 })
      const id = newId(desired)
      yield* a.seed(ours(app(id, tasks(id, "a", 2))))
      const executor = yield* Executor.layerNoDeps.pipe(Layer.provide(Layer.succeed(MarathonShards, shards)), Layer.build)
      const run = (plan: Plan.Plan) => Context.get(executor, Executor).run(plan)

      const seenOnA = { ...(yield* a.apps)[0]!, shard: "a" }
      yield* run(
        Plan.make(Option.some(desired), { name: desired.name, apps: [seenOnA], drainingHosts: new Set(), shard: "b" }, drainState(), at(0))
      )
      assert.deepStrictEqual(writes(yield* a.calls), [], "nothing written to the old shard before the new app is up")
      assert.deepStrictEqual(writes(yield* b.calls), ["createApp"])

      // The new app is healthy on b: the same id on a is old, and goes there.
      yield* b.seed(ours(app(id, tasks(id, "b", 2))))
      const seenOnB = { ...(yield* b.apps)[0]!, shard: "b" }
      const plan = Plan.make(
        Option.some(desired),
        { name: desired.name, apps: [seenOnA, seenOnB], drainingHosts: new Set(), shard: "b" },
        drainState(),
        at(0)
      )
      assert.deepStrictEqual(plan.actions.map((action) => action.type), ["drainTasks", "killTasks", "deleteApp"])
      yield* run(plan)
      assert.deepStrictEqual(writes(yield* a.calls), ["killTasks", "deleteApp"])
      assert.deepStrictEqual(writes(yield* b.calls), ["createApp"])
      assert.lengthOf(yield* a.apps, 0)
      assert.lengthOf(yield* b.apps, 1)
    }).pipe(Effect.provide(services)))
})

describe("observer over shards", () => {
  /** One snapshot and observer over `shards`, as one controller has them. */
  const observe = Effect.fnUntraced(function*(shards: MarathonShards["Service"]) {
    const snapshot = yield* makeMarathonSnapshot({ minIntervalMs: 0 }).pipe(Effect.provideService(MarathonShards, shards))
    const observer = yield* makeInstanceObserver(snapshot).pipe(Effect.provideService(MarathonShards, shards))
    const resolved = spec({ cmd: "serve", instances: 1 })
    const run = (name: InstanceName, notBefore: number) => {
      const desired: Desired = { _tag: "Spec", stored: {} as StoredInstance, spec: { ...resolved, name } }
      return observer.observeAndPlan(name, desired, undefined, notBefore)
    }
    return { snapshot, run }
  })

  // One name per shard, by the hash.
  const names = Array.from({ length: 40 }, (_, i) => `svc${i}.main` as InstanceName)
  const onA = names.find((name) => rendezvousShard(name, ["a", "b"]) === "a")!
  const onB = names.find((name) => rendezvousShard(name, ["a", "b"]) === "b")!

  it.effect("a shard never read: every instance waits (it may have apps there), naming the shard and why", () =>
    Effect.gen(function*() {
      const { a, shards } = yield* twoShards
      yield* down(a)
      const { run } = yield* observe(shards)
      const result = yield* Effect.result(run(onB, 0))
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) {
        assert.strictEqual(result.failure._tag, "ShardUnavailable")
        assert.match(result.failure.message, /Marathon shard a cannot be read \(.*connection refused.*\) and it may have apps there/)
      }
    }).pipe(Effect.provide(services)))

  it.effect("a shard that goes down after a list: the instances living there wait, the others go on without it", () =>
    Effect.gen(function*() {
      const { a, shards } = yield* twoShards
      const { snapshot, run } = yield* observe(shards)
      yield* snapshot.get(0)
      yield* down(a)
      // Fresh views: a is asked and fails. Neither instance has apps on a, as far as the list showed.
      const fine = yield* run(onB, 1)
      assert.deepStrictEqual(fine.plan.actions.map((action) => action.type), ["createApp"])
      assert.strictEqual(fine.plan.actions[0]?.type === "createApp" ? fine.plan.actions[0].shard : undefined, "b")
      const waiting = yield* Effect.result(run(onA, 1))
      assert.isTrue(Result.isFailure(waiting) && waiting.failure._tag === "ShardUnavailable")
      if (Result.isFailure(waiting)) assert.include(waiting.failure.message, "it lives there")
    }).pipe(Effect.provide(services)))

  it.effect("a view from memory (a resync's look) needs every shard's list, fresh enough, and no shard failing since", () =>
    Effect.gen(function*() {
      const { a, shards } = yield* twoShards
      const { snapshot } = yield* observe(shards)
      assert.isUndefined(snapshot.forInstanceNow(onB, 0), "nothing listed yet")
      yield* TestClock.adjust("1 second")
      yield* snapshot.get(1_000)
      assert.isDefined(snapshot.forInstanceNow(onB, 0))
      assert.isDefined(snapshot.forInstanceNow(onB, 1_000))
      assert.isUndefined(snapshot.forInstanceNow(onB, 1_001), "state from after the list needs a read")
      // a fails to answer a read of its own: its old list is not served from memory any more.
      yield* down(a)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual((yield* snapshot.forInstance(onA, 2_000)).unavailable.map((shard) => shard.shard), ["a"])
      assert.isUndefined(snapshot.forInstanceNow(onB, 0))
    }).pipe(Effect.provide(services)))

  it.effect("an instance with apps on the unreadable shard waits even though it lives elsewhere", () =>
    Effect.gen(function*() {
      const { a, shards } = yield* twoShards
      // An older version of it, left on a (say, from before a shard was added).
      const id = `/${onB}.gitold00001.config00000001`
      yield* a.seed(ours(app(id, tasks(id, "a", 1))))
      const { snapshot, run } = yield* observe(shards)
      const first = yield* snapshot.get(0)
      assert.isTrue(first.byInstance.has(onB), "the list shows its app on a")
      yield* down(a)
      const waiting = yield* Effect.result(run(onB, 1))
      assert.isTrue(Result.isFailure(waiting) && waiting.failure._tag === "ShardUnavailable")
    }).pipe(Effect.provide(services)))

  it.effect("one shard only: its own Marathon error, as before shards", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      yield* down(memory)
      const shards = yield* MarathonShards
      const { run } = yield* observe(shards)
      const result = yield* Effect.result(run(onA, 0))
      assert.isTrue(Result.isFailure(result) && result.failure instanceof MarathonError)
    }).pipe(Effect.provide(Layer.mergeAll(services, MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer))))))
})
