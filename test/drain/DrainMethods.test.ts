import { assert, describe, it } from "@effect/vitest"
import { Cause, DateTime, Effect, Exit, Fiber, Layer, Ref } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { TestClock } from "effect/testing"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { formatUrl, makeHttpDrain, parseSuccessCodes } from "../../src/drain/HttpDrain.ts"
import { makeHacheckDrain, parseSpoolStatus, spoolUrls } from "../../src/drain/HacheckDrain.ts"
import { makeTestDrain } from "../../src/drain/TestDrain.ts"
import type { TaskRef } from "../../src/plan/Action.ts"
import type { FakeAnswer, SeenRequest } from "../marathon/FakeHttp.ts"
import { fakeHttp, fakeHttpLayer } from "../marathon/FakeHttp.ts"

const name = "web.main" as InstanceName
const task: TaskRef = {
  id: "web.main.gitaaaa.configbbbb.instance-1._app.1",
  appId: "/web.main.gitaaaa.configbbbb",
  host: "agent-7",
  ports: [31005, 31006],
  state: "TASK_RUNNING"
}
const record = (seconds: number) => ({ requestedAt: DateTime.makeUnsafe(seconds * 1000), method: "test" as const, appId: task.appId })

describe("test drain", () => {
  it.effect("draining iff a record exists; safe params.delay seconds after requestedAt (default 1 s)", () =>
    Effect.gen(function*() {
      const drain = makeTestDrain()
      assert.isFalse(yield* drain.isDraining(task, undefined))
      assert.isTrue(yield* drain.isDraining(task, record(0)))
      assert.deepStrictEqual((yield* drain.isSafeToKill(task, undefined)).safe, false)
      yield* TestClock.setTime(500)
      assert.isFalse((yield* drain.isSafeToKill(task, record(0))).safe)
      yield* TestClock.setTime(1000)
      assert.isTrue((yield* drain.isSafeToKill(task, record(0))).safe)
      const slow = makeTestDrain(30)
      const verdict = yield* slow.isSafeToKill(task, record(0))
      assert.isFalse(verdict.safe)
      assert.strictEqual(DateTime.toEpochMillis(verdict.safeAt!), 30_000)
      assert.isFalse(slow.safeOnDrain)
      assert.isTrue(makeTestDrain(0).safeOnDrain)
    }))
})

describe("hacheck drain (paasta-behaviour §5.2, §8 DL 76)", () => {
  const params = { delay: 60, hacheckPort: 6666, expiration: 0, registrations: ["web.main", "web.canary"] }

  it("76: one spool URL per registration on the task's host and first port; no ports ⇒ none", () => {
    assert.deepStrictEqual(spoolUrls(task, params), [
      "http://agent-7:6666/spool/web.main/31005/status",
      "http://agent-7:6666/spool/web.canary/31005/status"
    ])
    assert.isUndefined(spoolUrls({ ...task, ports: [] }, params))
  })

  it("76: a registration or host that would leave the task's spool path makes no URL at all", () => {
    assert.isUndefined(spoolUrls(task, { ...params, registrations: [".."] }))
    assert.isUndefined(spoolUrls({ ...task, host: "evil.example/x?" }, params))
    assert.isUndefined(spoolUrls({ ...task, host: "agent-7@evil.example" }, params))
    assert.deepStrictEqual(spoolUrls(task, { ...params, registrations: ["a/b?c#d"] }), [
      "http://agent-7:6666/spool/a%2Fb%3Fc%23d/31005/status"
    ])
  })

  it("76: 503 with a down body ⇒ draining since t; 200 ⇒ up", () => {
    assert.deepStrictEqual(parseSpoolStatus(503, "Service web.main in down state since 1700000000.5: Drained by mdeploy"), {
      up: false,
      since: 1700000000.5
    })
    assert.deepStrictEqual(parseSpoolStatus(503, "Service web.main in down state until 1700000600"), { up: false, since: undefined })
    assert.deepStrictEqual(parseSpoolStatus(200, "Service web.main in up state"), { up: true, since: undefined })
  })

  it.effect("drain posts status=down with an expiration of 10 × delay to every registration; stop posts up", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* fakeHttp(() => ({ status: 200, text: "ok" }))
      const drain = makeHacheckDrain(client, params)
      yield* TestClock.setTime(1_000_000)
      yield* drain.drain(task)
      yield* drain.stopDraining(task)
      const requests = yield* Ref.get(seen)
      assert.deepStrictEqual(requests.map((r) => [r.method, r.url]), [
        ["POST", "http://agent-7:6666/spool/web.main/31005/status"],
        ["POST", "http://agent-7:6666/spool/web.canary/31005/status"],
        ["POST", "http://agent-7:6666/spool/web.main/31005/status"],
        ["POST", "http://agent-7:6666/spool/web.canary/31005/status"]
      ])
      assert.strictEqual(requests[0]!.body, "status=down&expiration=1600&reason=Drained+by+mdeploy")
      assert.strictEqual(requests[2]!.body, "status=up")
    }))

  it.effect("draining unless every registration is up; safe once every down state is older than the delay", () =>
    Effect.gen(function*() {
      const state = new Map<string, string>([["web.main", "down state since 1000: Drained by mdeploy"], ["web.canary", "up"]])
      const { client } = yield* fakeHttp((request) => {
        const registration = request.url.split("/")[4]!
        const s = state.get(registration)!
        return s === "up" ? { status: 200, text: "" } : { status: 503, text: `Service ${registration} in ${s}` }
      })
      const drain = makeHacheckDrain(client, params)
      yield* TestClock.setTime(1_030_000)
      assert.isTrue(yield* drain.isDraining(task, undefined))
      assert.isFalse((yield* drain.isSafeToKill(task, undefined)).safe)
      yield* TestClock.setTime(1_061_000)
      const verdict = yield* drain.isSafeToKill(task, undefined)
      assert.isTrue(verdict.safe)
      assert.strictEqual(DateTime.toEpochMillis(verdict.safeAt!), 1_060_000)
      state.set("web.main", "up")
      assert.isFalse(yield* drain.isDraining(task, undefined))
      assert.isFalse((yield* drain.isSafeToKill(task, undefined)).safe)
    }))

  it.effect("no ports, HTTP errors and refused drains are DrainErrors", () =>
    Effect.gen(function*() {
      const { client } = yield* fakeHttp(() => ({ status: 500, text: "boom" }))
      const drain = makeHacheckDrain(client, params)
      const noPorts = yield* Effect.exit(drain.isDraining({ ...task, ports: [] }, undefined))
      assert.isTrue(Exit.isFailure(noPorts))
      const refused = yield* Effect.flip(drain.drain(task))
      assert.strictEqual(refused._tag, "DrainError")
      assert.strictEqual(refused.operation, "drain")
      const { client: down } = yield* fakeHttp(() => "transport-error")
      const unreachable = yield* Effect.flip(makeHacheckDrain(down, params).isDraining(task, undefined))
      assert.strictEqual(unreachable.method, "hacheck")
    }))
})

describe("http drain (paasta-behaviour §5.2, §8 DL 77)", () => {
  const call = (urlFormat: string, method?: "GET" | "POST", successCodes?: string | number) => ({
    urlFormat,
    ...(method === undefined ? {} : { method }),
    ...(successCodes === undefined ? {} : { successCodes })
  })
  const params = {
    drain: call("http://{host}:{port}/drain/{service}/{instance}", "POST"),
    stopDraining: call("http://{host}:{port}/undrain", "POST", "200-299,404"),
    isDraining: call("http://{host}:{port}/draining?r={registration}&ns={nerve_ns}"),
    isSafeToKill: call("http://{host}:{port}/safe/{task_id}", "GET", 204)
  }
  const context = { service: "web", instance: "main", registration: "web.main" }

  it("77: success codes: lists and inclusive ranges, a bare integer is one code", () => {
    const ok = parseSuccessCodes("200-299,404")
    assert.deepStrictEqual([199, 200, 250, 299, 300, 404, 405].map(ok), [false, true, true, true, false, true, false])
    assert.deepStrictEqual([203, 204].map(parseSuccessCodes(204)), [false, true])
    assert.deepStrictEqual([200, 300].map(parseSuccessCodes(undefined)), [true, false])
  })

  it("77: URL placeholders are filled from the task and the instance", () => {
    assert.strictEqual(formatUrl(params.isDraining.urlFormat, task, context), "http://agent-7:31005/draining?r=web.main&ns=web.main")
    assert.strictEqual(formatUrl(params.drain.urlFormat, task, context), "http://agent-7:31005/drain/web/main")
  })

  it.effect("drain/stopDraining fail on other codes; the questions answer false; methods are as configured", () =>
    Effect.gen(function*() {
      const answers: Record<string, FakeAnswer> = {
        "/drain/web/main": { status: 503 },
        "/undrain": { status: 404 },
        "/draining": { status: 200 },
        [`/safe/${task.id}`]: { status: 200 }
      }
      const { client, seen } = yield* fakeHttp((request: SeenRequest) => answers[new URL(request.url).pathname] ?? { status: 500 })
      const drain = makeHttpDrain(client, params, context)
      const failed = yield* Effect.flip(drain.drain(task))
      assert.strictEqual(failed.operation, "drain")
      yield* drain.stopDraining(task)
      assert.isTrue(yield* drain.isDraining(task, undefined))
      assert.isFalse((yield* drain.isSafeToKill(task, undefined)).safe)
      assert.deepStrictEqual((yield* Ref.get(seen)).map((r) => r.method), ["POST", "POST", "GET", "GET"])
    }))
})

describe("DrainMethods: limits around every backend", () => {
  const hanging = fakeHttpLayer(() => "hang")

  it.effect("a backend that does not answer fails the call after drain.timeoutSeconds", () =>
    Effect.gen(function*() {
      const methods = yield* DrainMethods
      const drain = methods.forInstance(name, { method: "hacheck", params: { delay: 60 }, onError: "retry", timeoutSeconds: 5 })
      const fiber = yield* Effect.forkChild(Effect.flip(drain.isDraining(task, undefined)))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.message, "no answer within 5s")
    }).pipe(Effect.provide(DrainMethods.layerNoDeps().pipe(Layer.provide(hanging)))))

  it.effect("drain.timeoutSeconds above 60 is capped at 60 (specs stored before the schema said so)", () =>
    Effect.gen(function*() {
      const methods = yield* DrainMethods
      const drain = methods.forInstance(name, { method: "hacheck", params: { delay: 60 }, onError: "retry", timeoutSeconds: 3600 })
      const fiber = yield* Effect.forkChild(Effect.flip(drain.isDraining(task, undefined)))
      yield* TestClock.adjust("59 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.message, "no answer within 60s")
    }).pipe(Effect.provide(DrainMethods.layerNoDeps().pipe(Layer.provide(hanging)))))

  it.effect("at most maxConcurrentCalls backend calls are in flight across instances", () =>
    Effect.gen(function*() {
      const inFlight = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const slow = HttpClient.make((request) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
          yield* Ref.update(peak, (p) => Math.max(p, now))
          yield* Effect.sleep("1 second")
          yield* Ref.update(inFlight, (n) => n - 1)
          return HttpClientResponse.fromWeb(request, new Response("", { status: 200 }))
        })
      )
      const layer = DrainMethods.layerNoDeps({ maxConcurrentCalls: 3 }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, slow)))
      const methods = yield* Effect.provide(DrainMethods, layer)
      const config = { method: "hacheck", params: { delay: 60, registrations: ["r"] }, onError: "retry", timeoutSeconds: 60 } as const
      const fiber = yield* Effect.forkChild(Effect.forEach(
        Array.from({ length: 10 }, (_, i) => ({ ...task, id: `t${i}` })),
        (t) => methods.forInstance(`svc.${t.id}` as InstanceName, config).isDraining(t, undefined),
        { concurrency: "unbounded" }
      ))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(yield* Ref.get(peak), 3)
    }))

  it.effect("an instance whose backend never answers holds at most its own few permits, for one timeout; another instance is served at once", () =>
    Effect.gen(function*() {
      // A's backend (agent-a) never answers; B's (agent-b) answers at once.
      const { client, seen } = yield* fakeHttp((request) => (request.url.includes("agent-a") ? "hang" : { status: 200, text: "" }))
      const methods = yield* Effect.provide(
        DrainMethods,
        DrainMethods.layerNoDeps().pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
      )
      const config = { method: "hacheck", params: { delay: 60, registrations: ["r"] }, onError: "retry", timeoutSeconds: 60 } as const
      const tasksOn = (host: string, count: number) => Array.from({ length: count }, (_, i) => ({ ...task, id: `${host}-t${i}`, host }))
      const callsTo = (host: string) => Effect.map(Ref.get(seen), (all) => all.filter((r) => r.url.includes(host)).length)
      // A drain probe asks about every task at once (DrainProbe uses concurrency 64).
      const a = methods.forInstance("a.main" as InstanceName, config)
      const probeA = yield* Effect.forkChild(Effect.forEach(tasksOn("agent-a", 64), (t) => Effect.exit(a.isDraining(t, undefined)), {
        concurrency: 64
      }))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* callsTo("agent-a"), 4)
      // B's probe needs nothing A holds: it completes long before A's 60 s timeout frees anything.
      const b = methods.forInstance("b.main" as InstanceName, config)
      const probeB = yield* Effect.forkChild(Effect.forEach(tasksOn("agent-b", 20), (t) => b.isDraining(t, undefined), { concurrency: 20 }))
      // Virtual time stands still here, so A's calls cannot time out; B must finish on its own.
      const answered = yield* TestClock.withLive(Fiber.await(probeB).pipe(Effect.timeoutOption("5 seconds")))
      assert.isTrue(answered._tag === "Some" && Exit.isSuccess(answered.value), "instance B waited on instance A's hanging backend")
      assert.strictEqual(yield* callsTo("agent-b"), 20)
      // When A's first calls time out, the 60 still queued give up at once: A's probe (and the
      // worker running it) is held for one timeout, not for 16 of them.
      yield* TestClock.adjust("60 seconds")
      const results = yield* Fiber.join(probeA)
      assert.strictEqual(yield* callsTo("agent-a"), 4)
      const messages = results.map((exit) => Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)
        .map((error) => (error as { message?: string } | undefined)?.message)
      assert.strictEqual(messages.filter((m) => m === "no answer within 60s").length, 4)
      assert.strictEqual(messages.filter((m) => m?.startsWith("not tried: another call")).length, 60)
      // The next pass tries the backend again.
      const retry = yield* Effect.forkChild(a.isDraining(tasksOn("agent-a", 1)[0]!, undefined))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* callsTo("agent-a"), 5)
      yield* Fiber.interrupt(retry)
    }))
})
