// RED metrics from traces: every finished span counts in `mdeploy_span_duration_seconds` by span
// name and status, so dashboards show per-step durations (a plan, a drain, a Marathon call)
// without a trace backend. Labelled by span name only — names are a fixed set in the code,
// never ids — so the series stay few however many instances, apps and tasks there are.
// Imports OpenTelemetry types only: loading this module loads no SDK.
import type { Context as OtelContext } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Context } from "effect"
import { Metric } from "effect"

// Seconds, 5 ms to 30 min: a Marathon call and a reconcile sit at the low end, a drain wait or a
// whole bounce step at the high end.
export const spanDurationBoundaries = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
  600,
  1800
]

export const spanDuration = Metric.histogram("mdeploy_span_duration_seconds", {
  description: "Seconds per finished span, by span name and status (ok or error)",
  boundaries: spanDurationBoundaries
})

/** The `status` label: OpenTelemetry's error code (2) is "error", unset and ok are "ok". */
export type SpanMetricStatus = "ok" | "error"

/** Span names past this many are counted under "other": a bug that names spans by id must not flood Prometheus. */
export const maxSpanNames = 200
export const otherSpanName = "other"

/**
 * A SpanProcessor that records every finished span's duration, sampled or not. `context` is where
 * the metric is recorded (its MetricRegistry): the context the metric exporters read.
 */
export class SpanMetrics implements SpanProcessor {
  readonly #context: Context.Context<never>
  readonly #names = new Set<string>()

  constructor(context: Context.Context<never>) {
    this.#context = context
  }

  /** Records one span that took `seconds`; the processor's own entry point, also for tests. */
  record(name: string, status: SpanMetricStatus, seconds: number): void {
    if (!this.#names.has(name)) {
      if (this.#names.size >= maxSpanNames) name = otherSpanName
      else this.#names.add(name)
    }
    Metric.withAttributes(spanDuration, { span_name: name, status }).updateUnsafe(seconds, this.#context)
  }

  onStart(_span: Span, _parentContext: OtelContext): void {}

  onEnd(span: ReadableSpan): void {
    const [whole, nanos] = span.duration
    this.record(span.name, span.status.code === 2 ? "error" : "ok", whole + nanos / 1e9)
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
