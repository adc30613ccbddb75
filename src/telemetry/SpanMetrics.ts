// RED metrics from traces: every finished span counts in `mdeploy_span_duration_seconds` by span
// name and status, so dashboards show per-step durations (a plan, a drain, a Marathon call)
// without a trace backend. Labelled by span name only — names are a fixed set in the code,
// never ids — so the series stay few however many instances, apps and tasks there are.
//
// A processor at the level of Effect's tracer rather than an OpenTelemetry SpanProcessor: it wraps
// whichever tracer is installed and sees every span end, sampled or not. An OpenTelemetry processor
// would need the OpenTelemetry bridge running, which Telemetry.ts avoids when nothing exports spans
// (it costs ~10–14% of a reconcile's CPU); scraping metrics must not switch it on.
// Loads no OpenTelemetry code.
import { Cause, Effect, Layer, Tracer } from "effect"
import type { Context, Exit } from "effect"
import { labelledHistogram } from "./internal/attributedMetric.ts"

// Seconds, 5 ms to 30 min: a Marathon call and a reconcile sit at the low end, a drain wait or a
// whole bounce step at the high end.
export const spanDurationBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]

const spanDurations = labelledHistogram("mdeploy_span_duration_seconds", {
  description: "Seconds per finished span, by span name and status (ok or error)",
  boundaries: spanDurationBoundaries
})
export const spanDuration = spanDurations.metric

/** The `status` label: "error" as OpenTelemetry's error status is set (a failure, not an interruption alone). */
export type SpanMetricStatus = "ok" | "error"

/** Span names past this many are counted under "other": a bug that names spans by id must not flood Prometheus. */
export const maxSpanNames = 200
export const otherSpanName = "other"

const statusOf = (exit: Exit.Exit<unknown, unknown>): SpanMetricStatus =>
  exit._tag === "Success" || Cause.hasInterruptsOnly(exit.cause) ? "ok" : "error"

/**
 * Records span durations into the MetricRegistry of `context` (the one the metric exporters
 * read). `tracer` wraps a tracer so that each of its spans is recorded when it ends.
 */
export class SpanMetrics {
  readonly #context: Context.Context<never>
  readonly #names = new Set<string>()

  constructor(context: Context.Context<never>) {
    this.#context = context
  }

  /** Records one span that took `seconds`. */
  record(name: string, status: SpanMetricStatus, seconds: number): void {
    if (!this.#names.has(name)) {
      if (this.#names.size >= maxSpanNames) name = otherSpanName
      else this.#names.add(name)
    }
    spanDurations.of({ span_name: name, status }).updateUnsafe(seconds, this.#context)
  }

  /** `inner` with every span it makes recorded once, when it ends. */
  tracer(inner: Tracer.Tracer): Tracer.Tracer {
    const record = (name: string, status: SpanMetricStatus, seconds: number) => this.record(name, status, seconds)
    return Tracer.make({
      span(options) {
        const span = inner.span(options)
        const end = span.end.bind(span)
        let ended = false
        span.end = (endTime, exit) => {
          end(endTime, exit)
          if (ended) return
          ended = true
          record(options.name, statusOf(exit), Math.max(0, Number(endTime - options.startTime)) / 1e9)
        }
        return span
      },
      // The OpenTelemetry bridge runs each step inside its context; the native tracer has no hook.
      ...(inner.context === undefined ? {} : { context: inner.context })
    })
  }

  /** Wraps the tracer in force where the layer is built (the native one, or the bridge provided to it). */
  static readonly layer = (context: Context.Context<never>) =>
    Layer.effect(Tracer.Tracer, Effect.map(Effect.tracer, (inner) => new SpanMetrics(context).tracer(inner)))
}
