// Span metrics: every finished span is counted by name and status, through the real telemetry
// layer (the processor is registered wherever metrics are exported) and on TestClock.
import { assert, describe, it } from "@effect/vitest"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Effect, Metric, Option } from "effect"
import { TestClock } from "effect/testing"
import { maxSpanNames, otherSpanName, spanDuration, SpanMetrics } from "../../src/telemetry/SpanMetrics.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"

const histogram = (attributes: Record<string, string>) => Metric.value(Metric.withAttributes(spanDuration, attributes))

describe("SpanMetrics", () => {
  it.effect("the telemetry layer records each finished span's duration by span name and status", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("90 seconds").pipe(Effect.withSpan("Executor.drain"))
      yield* Effect.exit(Effect.fail("boom").pipe(Effect.withSpan("Marathon.request")))
      yield* Effect.void.pipe(Effect.withSpan("Marathon.request"))

      const drain = yield* histogram({ span_name: "Executor.drain", status: "ok" })
      assert.strictEqual(drain.count, 1)
      assert.closeTo(drain.sum, 90, 1e-6, "the span's duration on TestClock")
      // 90 s falls in the 120 s bucket and above, not in the 60 s one.
      assert.strictEqual(drain.buckets.find(([bound]) => bound === 60)?.[1], 0)
      assert.strictEqual(drain.buckets.find(([bound]) => bound === 120)?.[1], 1)
      assert.strictEqual((yield* histogram({ span_name: "Marathon.request", status: "error" })).count, 1)
      assert.strictEqual((yield* histogram({ span_name: "Marathon.request", status: "ok" })).count, 1)

      // And it is what Prometheus scrapes.
      const { metricsUrl } = yield* Telemetry
      const text = yield* Effect.promise(() => fetch(Option.getOrThrow(metricsUrl)).then((response) => response.text()))
      assert.match(text, /mdeploy_span_duration_seconds_count\{span_name="Executor\.drain",status="ok"\} 1/)
      assert.match(text, /mdeploy_span_duration_seconds_bucket\{span_name="Marathon\.request",status="error",le="0\.005"\} 1/)
    }).pipe(
      Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr: "127.0.0.1:0", installLogger: false })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("without an exported metric nothing is recorded and no bridge is loaded", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("Executor.drain"))
      assert.strictEqual((yield* histogram({ span_name: "Executor.drain", status: "ok" })).count, 0)
    }).pipe(
      Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", installLogger: false })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("span names are bounded: past the cap, new names count as \"other\"", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const processor = new SpanMetrics(context)
      const span = (name: string, code: number) => ({ name, duration: [1, 500_000_000], status: { code } }) as unknown as ReadableSpan
      for (let index = 0; index < maxSpanNames; index++) processor.onEnd(span(`span-${index}`, 0))
      processor.onEnd(span("span-0", 2))
      processor.onEnd(span("one-too-many", 0))
      assert.strictEqual((yield* histogram({ span_name: "span-0", status: "error" })).count, 1)
      const other = yield* histogram({ span_name: otherSpanName, status: "ok" })
      assert.strictEqual(other.count, 1)
      assert.closeTo(other.sum, 1.5, 1e-9)
      assert.strictEqual((yield* histogram({ span_name: "one-too-many", status: "ok" })).count, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
