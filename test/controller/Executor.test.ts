import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { Owner } from "../../src/controller/Owner.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { DeploymentLocked, Unavailable } from "../../src/marathon/MarathonError.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import type { DrainConfig } from "../../src/plan/DrainState.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { recordingTracer } from "../marathon/RecordingTracer.ts"
import { app, at, drainState, name, newId, observed, oldId, spec, task, tasks } from "../plan/Fixtures.ts"

// hacheck answers 500 for tasks on agent-bad, 200 everywhere else.
// Apps seeded by these tests carry no MDEPLOY_OWNER: adopting them makes them this installation's.
const layer = Executor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(
    Owner.layer({ owner: "test", adoptUnowned: true }),
    MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
    DrainRecords.layerMemory,
    DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer((r) => (r.url.includes("agent-bad") ? { status: 500 } : { status: 200 }))))
  ))
)
const hacheckConfig = (onError: "retry" | "kill"): DrainConfig => ({
  method: "hacheck",
  params: { delay: 60 },
  onError,
  timeoutSeconds: 15
})
/** The writes, in order: the fresh reads that confirm each destructive action are left out. */
const operations = (calls: ReadonlyArray<{ operation: string }>) =>
  calls.map((call) => call.operation).filter((operation) => operation !== "getApp")

describe("Executor (paasta-behaviour §1.8.1, §8 SMJ 33–36, examples 4 and 12)", () => {
  it.effect("33 / example 12: create answered 'already exists' stops the pass: no drain, kill or delete; requeue 60", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
      const old = app(oldId(1), [task(oldId(1), "a")])
      yield* memory.seed(old)
      const plan = Plan.make(Option.some(desired), observed([old]), drainState(), at(0))
      assert.deepStrictEqual(plan.actions.map((a) => a.type), ["createApp", "drainTasks", "killTasks", "deleteApp"])
      // Another installation created the app between our listing and our POST.
      const theirs = app(newId(desired), [])
      yield* memory.seed({ ...theirs, labels: { ...theirs.labels, MDEPLOY_OWNER: "another-installation" } })
      const result = yield* (yield* Executor).run(plan)
      assert.strictEqual(result.interrupted?.reason, "AlreadyExists")
      assert.strictEqual(result.interrupted?.appId, newId(desired))
      assert.match(result.interrupted?.message ?? "", /not this installation's app/)
      assert.strictEqual(result.requeueAfterSeconds, 60)
      assert.deepStrictEqual(operations(yield* memory.calls), ["createApp"])
      assert.strictEqual((yield* memory.apps).length, 2)
    }).pipe(Effect.provide(layer)))

  it.effect("34: a create that fails with a server error propagates as a MarathonError", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1 })
      yield* memory.failNext("createApp", new Unavailable({ message: "boom", status: 500 }))
      const plan = Plan.make(Option.some(desired), observed([]), drainState(), at(0))
      const error = yield* Effect.flip((yield* Executor).run(plan))
      assert.strictEqual(error._tag, "MarathonError")
    }).pipe(Effect.provide(layer)))

  it.effect("34–36: create once, drain, kill-and-scale and delete in plan order; drain records follow the tasks", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const records = yield* DrainRecords
      const desired = spec({ cmd: "serve", instances: 2, bounce: { method: "brutal" }, drain: { method: "test", params: { delay: 30 } } })
      const old = app(oldId(1), tasks(oldId(1), "o", 2))
      yield* memory.seed(old)
      const testDrain: DrainConfig = { method: "test", params: { delay: 30 }, onError: "retry", timeoutSeconds: 15 }
      const first = Plan.make(Option.some(desired), observed([old]), drainState({ drain: testDrain }), at(0))
      const executor = yield* Executor
      const result = yield* executor.run(first)
      assert.deepStrictEqual(operations(yield* memory.calls), ["createApp"])
      assert.strictEqual(result.completed, 2)
      assert.deepStrictEqual([...(yield* records.list(name)).keys()].sort(), old.tasks.map((t) => t.id).sort())
      const record = (yield* records.list(name)).get(old.tasks[0]!.id)!
      assert.strictEqual(record.method, "test")
      assert.strictEqual(record.appId, oldId(1))

      const current = yield* memory.apps
      const answers = old.tasks.map((t) => [t.id, { draining: true, safeToKill: true }] as const)
      const second = Plan.make(Option.some(desired), observed(current), {
        ...drainState({ drain: testDrain, answers }),
        records: yield* records.list(name)
      }, at(60))
      assert.deepStrictEqual(second.actions.map((a) => a.type), ["killTasks", "deleteApp"])
      // The plan is made at 60 s; the drain delay's countdown on the store's clock must have run too.
      yield* TestClock.adjust("60 seconds")
      yield* executor.run(second)
      assert.deepStrictEqual(operations(yield* memory.calls), ["createApp", "killTasks", "deleteApp"])
      assert.deepStrictEqual((yield* memory.apps).map((a) => a.id), [newId(desired)])
      assert.strictEqual((yield* records.list(name)).size, 0)
    }).pipe(Effect.provide(layer)))

  it.effect("DeploymentLocked stops the pass and becomes a short requeue, not an error", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 3 })
      const current = app(newId(desired), tasks(newId(desired), "n", 2))
      const old = app(oldId(1), tasks(oldId(1), "o", 1))
      yield* memory.seed(current)
      yield* memory.seed(old)
      yield* memory.failNext(
        "scaleApp",
        new DeploymentLocked({ message: "App is locked by one or more deployments.", deployments: ["d1"] })
      )
      const plan = Plan.make(Option.some(desired), observed([current, old]), drainState(), at(0))
      // The new app's scale-up (2 → 3); the old task keeps serving until the new one is happy.
      assert.deepStrictEqual(plan.actions.map((a) => a.type), ["scaleApp"])
      const result = yield* (yield* Executor).run(plan)
      assert.deepStrictEqual(result.interrupted, { action: "scaleApp", reason: "DeploymentLocked", appId: newId(desired) })
      assert.strictEqual(result.requeueAfterSeconds, 15)
      assert.strictEqual(result.completed, 0)
      assert.deepStrictEqual(operations(yield* memory.calls), ["scaleApp"])
    }).pipe(Effect.provide(layer)))

  it.effect("a scale-up is sent without a confirming read; slots taken away (slack) are confirmed first", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 3 })
      const current = app(newId(desired), tasks(newId(desired), "n", 2))
      yield* memory.seed(current)
      const up = Plan.make(Option.some(desired), observed([current]), drainState(), at(0))
      assert.deepStrictEqual(up.actions, [{ type: "scaleApp", appId: newId(desired), instances: 3, reason: "scaleUp" }])
      yield* (yield* Executor).run(up)
      assert.deepStrictEqual((yield* memory.calls).map((call) => call.operation), ["scaleApp"])

      // One instance wanted, three slots and no task: the slots go, once a fresh read says the app is ours.
      const fewer = spec({ cmd: "serve", instances: 1 })
      const empty = app(newId(fewer), [], { instances: 3 })
      const slack = Plan.make(Option.some(fewer), observed([empty]), drainState(), at(0))
      assert.deepStrictEqual(slack.actions, [{ type: "scaleApp", appId: newId(fewer), instances: 1, reason: "slack" }])
      yield* memory.seed({ ...empty, labels: { ...empty.labels, MDEPLOY_OWNER: "another-installation" } })
      const refused = yield* (yield* Executor).run(slack)
      assert.strictEqual(refused.interrupted?.reason, "Unconfirmed")
      assert.deepStrictEqual((yield* memory.calls).map((call) => call.operation), ["scaleApp", "getApp"])
    }).pipe(Effect.provide(layer)))

  it.effect("example 4: a drain that fails kills the task with onError kill, and is retried later with retry", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const records = yield* DrainRecords
      const desired = spec({ cmd: "serve", instances: 1 })
      const current = app(newId(desired), [task(newId(desired), "n1")])
      const old = app(oldId(1), [task(oldId(1), "bad", { host: "agent-bad" }), task(oldId(1), "good")])
      yield* memory.seed(current)
      yield* memory.seed(old)
      const executor = yield* Executor
      const retry = yield* executor.run(
        Plan.make(Option.some(desired), observed([current, old]), drainState({ drain: hacheckConfig("retry") }), at(0))
      )
      assert.deepStrictEqual(retry.drainFailures.map((f) => f.taskId), [old.tasks[0]!.id])
      assert.deepStrictEqual(retry.killedOnDrainError, [])
      assert.deepStrictEqual([...(yield* records.list(name)).keys()], [old.tasks[1]!.id])
      assert.deepStrictEqual(operations(yield* memory.calls), [])

      const kill = yield* executor.run(
        Plan.make(Option.some(desired), observed([current, old]), drainState({ drain: hacheckConfig("kill") }), at(0))
      )
      assert.deepStrictEqual(kill.killedOnDrainError, [old.tasks[0]!.id])
      assert.deepStrictEqual((yield* memory.calls).filter((call) => call.operation !== "getApp"), [{
        operation: "killTasks",
        taskIds: [old.tasks[0]!.id]
      }])
    }).pipe(Effect.provide(layer)))

  it.effect("stopDraining removes the record; a failing backend keeps it for the next pass", () =>
    Effect.gen(function*() {
      const records = yield* DrainRecords
      const desired = spec({ cmd: "serve", instances: 2 })
      const all = [task(newId(desired), "ok"), task(newId(desired), "bad", { host: "agent-bad" })]
      const current = app(newId(desired), all)
      for (const t of all) yield* records.put(name, t.id, { requestedAt: DateTime.makeUnsafe(0), method: "hacheck", appId: current.id })
      const answers = all.map((t) => [t.id, { draining: true, safeToKill: false }] as const)
      const plan = Plan.make(Option.some(desired), observed([current]), drainState({ drain: hacheckConfig("retry"), answers }), at(0))
      assert.deepStrictEqual(plan.actions.map((a) => a.type), ["stopDraining"])
      const result = yield* (yield* Executor).run(plan)
      assert.deepStrictEqual(result.drainFailures.map((f) => [f.taskId, f.operation]), [[all[1]!.id, "stopDraining"]])
      assert.deepStrictEqual([...(yield* records.list(name)).keys()], [all[1]!.id])
    }).pipe(Effect.provide(layer)))

  it.effect("one span per action, named Executor.<action>, with instance, app id, action and task count", () =>
    Effect.gen(function*() {
      const { tracer, spans } = recordingTracer()
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
      const old = app(oldId(1), tasks(oldId(1), "o", 2), { instances: 3 })
      yield* memory.seed(old)
      const plan = Plan.make(Option.some(desired), observed([old]), drainState(), at(0))
      yield* (yield* Executor).run(plan).pipe(Effect.withTracer(tracer))
      const names = spans.map((s) => s.name).filter((n) => n.startsWith("Executor."))
      assert.deepStrictEqual(names, [
        "Executor.run",
        "Executor.createApp",
        "Executor.drainTasks",
        "Executor.killTasks",
        "Executor.deleteApp"
      ])
      const kill = spans.find((s) => s.name === "Executor.killTasks")!
      assert.strictEqual(kill.attributes.get("mdeploy.instance"), name)
      assert.strictEqual(kill.attributes.get("mdeploy.action"), "killTasks")
      assert.strictEqual(kill.attributes.get("mdeploy.app_id"), oldId(1))
      assert.strictEqual(kill.attributes.get("mdeploy.task_count"), 2)
      const create = spans.find((s) => s.name === "Executor.createApp")!
      assert.strictEqual(create.attributes.get("mdeploy.app_id"), newId(desired))
      assert.strictEqual(spans.find((s) => s.name === "Executor.run")!.attributes.get("mdeploy.bounce.method"), "brutal")
    }).pipe(Effect.provide(layer)))
})
