import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { attributedMetric } from "../../src/telemetry/internal/attributedMetric.ts"

describe("attributedMetric", () => {
  it.effect("one instance per attribute set, counting into the same series Metric.withAttributes does", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("test_attributed_total")
      const of = attributedMetric(counter)
      assert.strictEqual(of({ route: "GET /v2/apps", status: "200" }), of({ route: "GET /v2/apps", status: "200" }))
      assert.notStrictEqual(of({ route: "GET /v2/apps", status: "200" }), of({ route: "GET /v2/apps", status: "500" }))
      // Values that would run together in a naive key stay apart.
      assert.notStrictEqual(of({ route: "a", status: "bc" }), of({ route: "ab", status: "c" }))
      yield* Metric.update(of({ route: "GET /v2/apps", status: "200" }), 2)
      yield* Metric.update(Metric.withAttributes(counter, { route: "GET /v2/apps", status: "200" }), 1)
      const state = yield* Metric.value(Metric.withAttributes(counter, { route: "GET /v2/apps", status: "200" }))
      assert.strictEqual(state.count, 3)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
