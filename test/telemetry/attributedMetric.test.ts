import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { attributedMetric } from "../../src/telemetry/internal/attributedMetric.ts"

describe("attributedMetric", () => {
  it.effect("one instance per attribute set, counting into the same series Metric.withAttributes does", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("test_attributed_total")
      const of = attributedMetric((attributes) => Metric.counter("test_attributed_total", { attributes }))
      assert.strictEqual(of({ route: "GET /v2/apps", status: "200" }), of({ route: "GET /v2/apps", status: "200" }))
      assert.notStrictEqual(of({ route: "GET /v2/apps", status: "200" }), of({ route: "GET /v2/apps", status: "500" }))
      // Values that would run together in a naive key stay apart.
      assert.notStrictEqual(of({ route: "a", status: "bc" }), of({ route: "ab", status: "c" }))
      yield* Metric.update(of({ route: "GET /v2/apps", status: "200" }), 2)
      yield* Metric.update(Metric.withAttributes(counter, { route: "GET /v2/apps", status: "200" }), 1)
      const state = yield* Metric.value(Metric.withAttributes(counter, { route: "GET /v2/apps", status: "200" }))
      assert.strictEqual(state.count, 3)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("updates alternating between attribute sets each land in their series, and build no series key again", () =>
    Effect.gen(function*() {
      const options = { description: "test spans", boundaries: [0.01, 0.1, 1] }
      const base = Metric.histogram("test_attributed_seconds", options)
      const of = attributedMetric((attributes) => Metric.histogram("test_attributed_seconds", { ...options, attributes }))
      const names = ["a", "b", "c"]
      const context = yield* Effect.context<never>()
      // Each set's first update registers its series.
      for (const name of names) of({ span_name: name }).updateUnsafe(0.001, context)
      // Effect builds a series key with JSON.stringify: none is built while sets alternate.
      const stringify = JSON.stringify
      let keysBuilt = 0
      JSON.stringify = ((...args: Parameters<typeof stringify>) => {
        keysBuilt++
        return stringify(...args)
      }) as typeof stringify
      try {
        for (let k = 0; k < 30; k++) of({ span_name: names[k % names.length]! }).updateUnsafe(0.05, context)
      } finally {
        JSON.stringify = stringify
      }
      assert.strictEqual(keysBuilt, 0)
      for (const name of names) {
        const state = yield* Metric.value(Metric.withAttributes(base, { span_name: name }))
        assert.strictEqual(state.count, 11, name)
        assert.closeTo(state.sum, 0.001 + 10 * 0.05, 1e-9)
      }
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
