import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Result } from "effect"
import { Executor } from "../../src/controller/Executor.ts"
import { Owner } from "../../src/controller/Owner.ts"
import { leaseGate } from "../../src/controller/WriteGate.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import type { ObservedApp } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, at, drainState, newId, observed, oldId, spec, tasks } from "../plan/Fixtures.ts"

// The executor's side of design §11: every destructive action is confirmed by a fresh read of its
// app, creates carry the owner and adopt their own 409s, and no write starts past the lease.
const layer = Executor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(
    Owner.layer({ owner: "us", adoptUnowned: false }),
    MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
    DrainRecords.layerMemory,
    DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
  ))
)
const ours = (observedApp: ObservedApp, owner = "us"): ObservedApp => ({
  ...observedApp,
  labels: { ...observedApp.labels, MDEPLOY_OWNER: owner }
})
const writes = (calls: ReadonlyArray<{ readonly operation: string }>) =>
  calls.map((call) => call.operation).filter((operation) => operation !== "getApp")

describe("executor safety (design §11)", () => {
  it.effect("labels every app it creates with its owner", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1 })
      yield* (yield* Executor).run(Plan.make(Option.some(desired), observed([]), drainState(), at(0)))
      const [created] = yield* memory.apps
      assert.strictEqual(created?.labels["MDEPLOY_OWNER"], "us")
    }).pipe(Effect.provide(layer)))

  it.effect("a create that meets its own app (409) adopts it and looks again soon", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1 })
      const plan = Plan.make(Option.some(desired), observed([]), drainState(), at(0))
      yield* memory.seed(ours(app(newId(desired), [])))
      const result = yield* (yield* Executor).run(plan)
      assert.strictEqual(result.interrupted?.reason, "Adopted")
      assert.strictEqual(result.requeueAfterSeconds, 1)
      assert.lengthOf(yield* memory.apps, 1)
    }).pipe(Effect.provide(layer)))

  it.effect("a delete is not sent when a fresh read shows a task the plan did not mean to kill", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 2, bounce: { method: "brutal" } })
      const fresh = ours(app(newId(desired), tasks(newId(desired), "n", 2)))
      // The plan saw the old app without its tasks (an answer missing them): it would delete it.
      const seen = ours(app(oldId(1), []))
      const plan = Plan.make(Option.some(desired), observed([fresh, seen]), drainState(), at(0))
      assert.deepStrictEqual(plan.actions.map((action) => action.type), ["deleteApp"])
      yield* memory.seed(fresh)
      yield* memory.seed(ours(app(oldId(1), tasks(oldId(1), "o", 3))))
      const result = yield* (yield* Executor).run(plan)
      assert.strictEqual(result.interrupted?.reason, "Unconfirmed")
      assert.match(result.interrupted?.message ?? "", /3 task\(s\) the plan did not mean to kill/)
      assert.deepStrictEqual(writes(yield* memory.calls), [])
    }).pipe(Effect.provide(layer)))

  it.effect("kills and deletes nothing of an app that is not this installation's", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
      const theirs = ours(app(oldId(1), tasks(oldId(1), "o", 1)), "them")
      yield* memory.seed(theirs)
      // A plan made as if the app were ours (a stale or wrong view) must still not reach it.
      const plan = Plan.make(Option.some(desired), observed([ours(app(oldId(1), tasks(oldId(1), "o", 1)))]), drainState(), at(0))
      assert.includeMembers(plan.actions.map((action) => action.type), ["killTasks", "deleteApp"])
      yield* (yield* Executor).run(plan)
      assert.deepStrictEqual(writes(yield* memory.calls), ["createApp"])
      assert.isDefined((yield* memory.apps).find((candidate) => candidate.id === oldId(1)))
    }).pipe(Effect.provide(layer)))

  it.effect("no write starts once the lease has too little time left", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const desired = spec({ cmd: "serve", instances: 1 })
      const plan = Plan.make(Option.some(desired), observed([]), drainState(), at(0))
      const outcome = yield* Effect.result((yield* Executor).run(plan, leaseGate(Effect.succeed(0))))
      assert.isTrue(Result.isFailure(outcome))
      if (Result.isFailure(outcome)) assert.strictEqual(outcome.failure._tag, "WriteRefused")
      assert.deepStrictEqual(writes(yield* memory.calls), [])
    }).pipe(Effect.provide(layer)))
})
