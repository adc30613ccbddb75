// A drain delay counted down on etcd's clock (design.md §11): a key on a lease of the countdown's
// length, gone when etcd ends the lease. A kill planned on a wall clock that is ahead waits for it.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { afterAll, beforeAll } from "vitest"
import { Executor } from "../../src/controller/Executor.ts"
import { Owner } from "../../src/controller/Owner.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import type { DrainConfig } from "../../src/plan/DrainState.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { etcdDrainRecordsLayer } from "../../src/store/EtcdDrainRecords.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, at, drainState, name, observed, oldId, spec, tasks } from "../plan/Fixtures.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const records = () => etcdDrainRecordsLayer.pipe(Layer.provide(etcdLayer(etcd, uniquePrefix("countdown"))))
const web = "web.main" as InstanceName

describe("drain delay countdown on etcd", () => {
  it("runs from the start for its whole length on etcd's clock, then is gone; remove takes it early", () =>
    Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* DrainRecords
        const started = performance.now()
        yield* store.startDelay(web, ["web_main.t1", "web_main.t2"], 2)
        assert.deepStrictEqual([...(yield* store.delaysRunning(web))].sort(), ["web_main.t1", "web_main.t2"])
        yield* store.remove(web, "web_main.t1")
        assert.deepStrictEqual([...(yield* store.delaysRunning(web))], ["web_main.t2"])
        // Every look until it is gone: never gone before two seconds have passed.
        for (;;) {
          const running = yield* store.delaysRunning(web)
          const elapsed = performance.now() - started
          if (running.size === 0) {
            assert.isAtLeast(elapsed, 2000)
            break
          }
          assert.isBelow(elapsed, 10_000, "the countdown never ended")
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        }
      }).pipe(Effect.provide(records()))
    ))

  it("an Executor on etcd holds a kill back while the countdown runs, whatever the plan's clock said", () =>
    Effect.runPromise(
      Effect.gen(function*() {
        const memory = yield* MarathonMemory
        const store = yield* DrainRecords
        const executor = yield* Executor
        const drain: DrainConfig = { method: "test", params: { delay: 5 }, onError: "retry", timeoutSeconds: 15 }
        const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" }, drain: { method: "test", params: { delay: 5 } } })
        const old = app(oldId(1), tasks(oldId(1), "o", 1))
        yield* memory.seed(old)
        const started = performance.now()
        yield* executor.run(Plan.make(Option.some(desired), observed([old]), drainState({ drain }), at(0)))
        // A plan from a process whose wall clock is ten minutes ahead: the delay looks long over.
        const answers = old.tasks.map((t) => [t.id, { draining: true, safeToKill: true }] as const)
        const early = Plan.make(Option.some(desired), observed(yield* memory.apps), {
          ...drainState({ drain, answers }),
          records: yield* store.list(name)
        }, at(600))
        assert.deepStrictEqual(early.actions.map((a) => a.type), ["killTasks", "deleteApp"])
        // Tried again and again, as the requeue does: nothing is killed before etcd's 4 s have run.
        for (;;) {
          const result = yield* executor.run(early)
          const elapsed = performance.now() - started
          const killed = (yield* memory.calls).some((call) => call.operation === "killTasks")
          if (result.interrupted === undefined) {
            assert.isTrue(killed)
            assert.isAtLeast(elapsed, 4000)
            break
          }
          assert.strictEqual(result.interrupted.reason, "DelayCounting")
          assert.isFalse(killed, `killed after ${elapsed} ms`)
          assert.isBelow(elapsed, 12_000, "the kill never went")
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 250)))
        }
        assert.isFalse((yield* memory.apps).some((a) => a.id === old.id))
      }).pipe(
        Effect.provide(Executor.layer.pipe(
          Layer.provideMerge(Layer.mergeAll(
            Owner.layer({ owner: "test", adoptUnowned: true }),
            MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
            records(),
            DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
          ))
        ))
      )
    ))
})
