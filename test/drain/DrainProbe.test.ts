import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Schema } from "effect"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { probe } from "../../src/drain/DrainProbe.ts"
import { DrainRecordJson } from "../../src/drain/DrainRecord.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { TestClock } from "effect/testing"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, hacheck, name, observed, oldId, task } from "../plan/Fixtures.ts"

const layer = Layer.mergeAll(
  DrainRecords.layerMemory,
  DrainMethods.layerNoDeps().pipe(
    Layer.provide(fakeHttpLayer((request) =>
      request.url.includes("31001")
        ? { status: 503, text: "Service web.main in down state since 0" }
        : request.url.includes("31002")
        ? "transport-error"
        : { status: 200 }
    ))
  )
)

describe("DrainRecords.layerMemory", () => {
  it.effect("put replaces, list is per instance, remove of an absent record succeeds", () =>
    Effect.gen(function*() {
      const records = yield* DrainRecords
      const record = { requestedAt: DateTime.makeUnsafe(0), method: "test" as const, appId: "/a" }
      yield* records.put(name, "t1", record)
      yield* records.put(name, "t1", { ...record, appId: "/b" })
      yield* records.put("other.main" as typeof name, "t2", record)
      assert.deepStrictEqual([...(yield* records.list(name)).entries()], [["t1", { ...record, appId: "/b" }]])
      yield* records.remove(name, "t1")
      yield* records.remove(name, "missing")
      assert.strictEqual((yield* records.list(name)).size, 0)
    }).pipe(Effect.provide(DrainRecords.layerMemory)))

  it("records round-trip through the JSON stored under <p>/drain/<name>/<taskId>", () => {
    const text = "{\"requestedAt\":\"2024-05-01T12:00:00.000Z\",\"method\":\"hacheck\",\"appId\":\"/web.main.gitaaaa.config1234\"}"
    const decoded = Schema.decodeUnknownSync(DrainRecordJson)(text)
    assert.strictEqual(DateTime.formatIso(decoded.requestedAt), "2024-05-01T12:00:00.000Z")
    assert.deepStrictEqual(JSON.parse(Schema.encodeSync(DrainRecordJson)(decoded)), JSON.parse(text))
  })
})

describe("DrainProbe.probe", () => {
  it.effect("asks the drain method about every managed task and turns failures into 'error' answers", () =>
    Effect.gen(function*() {
      const tasks = [
        task(oldId(1), "up", { ports: [31000] }),
        task(oldId(1), "down", { ports: [31001] }),
        task(oldId(1), "broken", { ports: [31002] })
      ]
      const foreign = app(oldId(2), [task(oldId(2), "x", { ports: [31001] })], { managed: false })
      yield* TestClock.setTime(1_000_000)
      const state = yield* probe(observed([app(oldId(1), tasks), foreign]), hacheck, undefined)
      assert.deepStrictEqual(state.answers.get(tasks[0]!.id), { draining: false })
      assert.strictEqual(state.answers.get(tasks[1]!.id)?.draining, true)
      assert.strictEqual(state.answers.get(tasks[1]!.id)?.safeToKill, true)
      assert.deepStrictEqual(state.answers.get(tasks[2]!.id), { draining: "error" })
      assert.isFalse(state.answers.has(foreign.tasks[0]!.id))
      assert.isFalse(state.safeOnDrain)
    }).pipe(Effect.provide(layer)))

  it.effect("the test method answers from the records, and records of vanished tasks are forgotten", () =>
    Effect.gen(function*() {
      const records = yield* DrainRecords
      const live = task(oldId(1), "live")
      yield* records.put(name, live.id, { requestedAt: DateTime.makeUnsafe(0), method: "test", appId: oldId(1) })
      yield* records.put(name, "gone.task", { requestedAt: DateTime.makeUnsafe(0), method: "test", appId: oldId(1) })
      yield* TestClock.setTime(2_000)
      const config = { method: "test", params: { delay: 5 }, onError: "retry", timeoutSeconds: 15 } as const
      const state = yield* probe(observed([app(oldId(1), [live, task(oldId(1), "other")])]), config, undefined)
      assert.deepStrictEqual(state.answers.get(live.id), { draining: true, safeToKill: false, safeAt: DateTime.makeUnsafe(5_000) })
      assert.deepStrictEqual([...state.records.keys()], [live.id])
      assert.deepStrictEqual([...(yield* records.list(name)).keys()], [live.id])
    }).pipe(Effect.provide(layer)))
})
