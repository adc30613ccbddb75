import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { MesosMaintenance } from "../../src/marathon/MesosMaintenance.ts"
import type { FakeAnswer } from "./FakeHttp.ts"
import { fakeHttpLayer } from "./FakeHttp.ts"

const hostsWith = (answer: FakeAnswer) =>
  Effect.gen(function*() {
    const maintenance = yield* MesosMaintenance
    const fiber = yield* Effect.forkChild(maintenance.drainingHosts)
    yield* TestClock.adjust("10 seconds")
    return [...(yield* Fiber.join(fiber))].sort()
  }).pipe(Effect.provide(MesosMaintenance.layerNoDeps({ url: "http://mesos:5050/" }).pipe(Layer.provide(fakeHttpLayer(() => answer)))))

describe("MesosMaintenance (paasta-behaviour §1.8 step 6, §4.6)", () => {
  it.effect("reads hostnames and IPs of draining machines from /maintenance/status", () =>
    Effect.gen(function*() {
      const hosts = yield* hostsWith({
        status: 200,
        body: { draining_machines: [{ id: { hostname: "agent-3", ip: "10.0.0.3" } }, { id: { hostname: "agent-4" } }], down_machines: [] }
      })
      assert.deepStrictEqual(hosts, ["10.0.0.3", "agent-3", "agent-4"])
    }))

  it.effect("an unreachable or slow Mesos means no host is draining, not a failed reconcile", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* hostsWith("transport-error"), [])
      assert.deepStrictEqual(yield* hostsWith("hang"), [])
      assert.deepStrictEqual(yield* hostsWith({ status: 200, body: {} }), [])
    }))
})
