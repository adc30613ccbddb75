// Span metrics: every finished span is counted by name and status, through the real telemetry
// layer (registered wherever metrics are exported, with Effect's own tracer or the OpenTelemetry
// bridge) and on TestClock.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Option } from "effect"
import { TestClock } from "effect/testing"
import { maxSpanNames, otherSpanName, spanDuration, SpanMetrics } from "../../src/telemetry/SpanMetrics.ts"
import { SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"

const recorder = new SpanRecorder()
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

  it.effect("without an exported metric nothing is recorded", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("Executor.drain"))
      assert.strictEqual((yield* histogram({ span_name: "Executor.drain", status: "ok" })).count, 0)
    }).pipe(
      Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", installLogger: false })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("with the OpenTelemetry bridge on (a span processor), each span is counted once and the trace keeps its shape", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("2 seconds").pipe(Effect.withSpan("Plan.make"), Effect.withSpan("Reconciler.reconcile"))
      assert.strictEqual((yield* histogram({ span_name: "Reconciler.reconcile", status: "ok" })).count, 1)
      const plan = yield* histogram({ span_name: "Plan.make", status: "ok" })
      assert.strictEqual(plan.count, 1)
      assert.closeTo(plan.sum, 2, 1e-6)
      assert.strictEqual(recorder.tree({ attributes: [] }), "Reconciler.reconcile\n  Plan.make")
    }).pipe(
      Effect.provide(
        Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr: "127.0.0.1:0", installLogger: false, spanProcessor: recorder })
      ),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("span names are bounded: past the cap, new names count as \"other\"", () =>
    Effect.gen(function*() {
      const processor = new SpanMetrics(yield* Effect.context<never>())
      for (let index = 0; index < maxSpanNames; index++) processor.record(`span-${index}`, "ok", 1)
      processor.record("span-0", "error", 1)
      processor.record("one-too-many", "ok", 1.5)
      assert.strictEqual((yield* histogram({ span_name: "span-0", status: "error" })).count, 1)
      const other = yield* histogram({ span_name: otherSpanName, status: "ok" })
      assert.strictEqual(other.count, 1)
      assert.closeTo(other.sum, 1.5, 1e-9)
      assert.strictEqual((yield* histogram({ span_name: "one-too-many", status: "ok" })).count, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("an interrupted span is not an error", () =>
    Effect.gen(function*() {
      yield* Effect.exit(Effect.interrupt.pipe(Effect.withSpan("WorkQueue.shutdownWithDrain")))
      assert.strictEqual((yield* histogram({ span_name: "WorkQueue.shutdownWithDrain", status: "ok" })).count, 1)
    }).pipe(
      Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr: "127.0.0.1:0", installLogger: false })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))
})
