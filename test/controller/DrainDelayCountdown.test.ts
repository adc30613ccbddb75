// A drain delay is also counted down on the store's clock (design.md §11): a kill that a plan
// made on a wall clock that is ahead (this host's, or the drain maker's) is held back until the
// countdown has run. The memory store counts on Effect's Clock, so TestClock stands in for etcd's.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { delayCountingRequeueSeconds } from "../../src/controller/ExecutionResult.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { Owner } from "../../src/controller/Owner.ts"
import { countdownSeconds, drainDelaySeconds } from "../../src/drain/DelayCountdown.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import type { DrainConfig } from "../../src/plan/DrainState.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, at, drainState, name, newId, observed, oldId, spec, tasks } from "../plan/Fixtures.ts"

const layer = Executor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(
    Owner.layer({ owner: "test", adoptUnowned: true }),
    MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
    DrainRecords.layerMemory,
    DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
  ))
)
const testDrain = (delay: number): DrainConfig => ({ method: "test", params: { delay }, onError: "retry", timeoutSeconds: 15 })
const writes = (calls: ReadonlyArray<{ operation: string }>) =>
  calls.map((call) => call.operation).filter((operation) => operation !== "getApp")

/** A brutal bounce of two old tasks, drained at 0 s with a test drain of `delay` seconds. */
const drainedAtZero = (delay: number) =>
  Effect.gen(function*() {
    const memory = yield* MarathonMemory
    const desired = spec({ cmd: "serve", instances: 2, bounce: { method: "brutal" }, drain: { method: "test", params: { delay } } })
    const old = app(oldId(1), tasks(oldId(1), "o", 2))
    yield* memory.seed(old)
    const executor = yield* Executor
    yield* executor.run(Plan.make(Option.some(desired), observed([old]), drainState({ drain: testDrain(delay) }), at(0)))
    /** The plan a process makes when its wall clock says `seconds` have passed: every task safe to kill. */
    const killPlan = (seconds: number) =>
      Effect.gen(function*() {
        const answers = old.tasks.map((t) => [t.id, { draining: true, safeToKill: true }] as const)
        return Plan.make(Option.some(desired), observed(yield* memory.apps), {
          ...drainState({ drain: testDrain(delay), answers }),
          records: yield* (yield* DrainRecords).list(name)
        }, at(seconds))
      })
    return { memory, executor, old, desired, killPlan }
  })

describe("drain delay countdown on the store's clock (design.md §11)", () => {
  it.effect("a kill planned on a wall clock ten minutes ahead waits until the countdown has run", () =>
    Effect.gen(function*() {
      const { memory, executor, old, desired, killPlan } = yield* drainedAtZero(30)
      assert.deepStrictEqual(writes(yield* memory.calls), ["createApp"])
      const early = yield* killPlan(600)
      assert.deepStrictEqual(early.actions.map((a) => a.type), ["killTasks", "deleteApp"])

      // 28 s of the 29 s countdown: held back each time, nothing killed, the records kept.
      for (const seconds of [0, 10, 28]) {
        yield* TestClock.setTime(seconds * 1000)
        const held = yield* executor.run(early)
        assert.strictEqual(held.interrupted?.reason, "DelayCounting", `at ${seconds} s`)
        assert.strictEqual(held.requeueAfterSeconds, delayCountingRequeueSeconds)
        assert.strictEqual(held.completed, 0)
        assert.match(held.interrupted?.message ?? "", /2 task\(s\) held back.*etcd's clock/)
        assert.deepStrictEqual(writes(yield* memory.calls), ["createApp"], `at ${seconds} s`)
        assert.strictEqual((yield* (yield* DrainRecords).list(name)).size, 2)
      }

      yield* TestClock.setTime(29_000)
      const done = yield* executor.run(early)
      assert.isUndefined(done.interrupted)
      assert.deepStrictEqual(writes(yield* memory.calls), ["createApp", "killTasks", "deleteApp"])
      assert.deepStrictEqual((yield* memory.apps).map((a) => a.id), [newId(desired)])
      assert.isFalse((yield* memory.apps).some((a) => a.id === old.id))
    }).pipe(Effect.provide(layer)))

  it.effect("the countdown starts with the drain and ends a second short of the delay", () =>
    Effect.gen(function*() {
      const { old } = yield* drainedAtZero(10)
      const records = yield* DrainRecords
      assert.deepStrictEqual([...(yield* records.delaysRunning(name))].sort(), old.tasks.map((t) => t.id).sort())
      yield* TestClock.setTime(8_999)
      assert.strictEqual((yield* records.delaysRunning(name)).size, 2)
      yield* TestClock.setTime(9_000)
      assert.strictEqual((yield* records.delaysRunning(name)).size, 0)
    }).pipe(Effect.provide(layer)))

  it.effect("a delay under 5 s is not counted: the kill is decided by the method and this host's clocks alone", () =>
    Effect.gen(function*() {
      const { memory, executor, killPlan } = yield* drainedAtZero(4)
      assert.strictEqual((yield* (yield* DrainRecords).delaysRunning(name)).size, 0)
      const result = yield* executor.run(yield* killPlan(4))
      assert.isUndefined(result.interrupted)
      assert.deepStrictEqual(writes(yield* memory.calls), ["createApp", "killTasks", "deleteApp"])
    }).pipe(Effect.provide(layer)))

  it.effect("removing a record removes its countdown", () =>
    Effect.gen(function*() {
      const { old } = yield* drainedAtZero(60)
      const records = yield* DrainRecords
      yield* records.remove(name, old.tasks[0]!.id)
      assert.deepStrictEqual([...(yield* records.delaysRunning(name))], [old.tasks[1]!.id])
    }).pipe(Effect.provide(layer)))

  it("the countdown's length for each method", () => {
    assert.strictEqual(drainDelaySeconds(testDrain(30)), 30)
    assert.strictEqual(drainDelaySeconds({ method: "test", onError: "retry", timeoutSeconds: 15 }), 1)
    assert.strictEqual(drainDelaySeconds({ method: "hacheck", onError: "retry", timeoutSeconds: 15 }), 240)
    assert.strictEqual(countdownSeconds({ method: "hacheck", onError: "retry", timeoutSeconds: 15 }), 239)
    assert.strictEqual(countdownSeconds(testDrain(5)), 4)
    assert.strictEqual(countdownSeconds(testDrain(7.5)), 7)
    assert.isUndefined(countdownSeconds(testDrain(4.9)))
    assert.isUndefined(countdownSeconds({ method: "noop", onError: "retry", timeoutSeconds: 15 }))
    const endpoint = { urlFormat: "http://{host}:{port}/drain" }
    const http = { drain: endpoint, stopDraining: endpoint, isDraining: endpoint, isSafeToKill: endpoint }
    assert.isUndefined(countdownSeconds({ method: "http", params: http, onError: "retry", timeoutSeconds: 15 }))
  })
})
