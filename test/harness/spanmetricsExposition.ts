// What the OpenTelemetry Collector's spanmetrics connector would hand Prometheus, for tests that
// have no collector: the real spans a process exported over OTLP (received by OtlpReceiver) turned
// into the connector's series — traces_span_metrics_calls_total and
// traces_span_metrics_duration_milliseconds_* (names since collector v0.109), labelled
// service_name, span_name, span_kind, status_code, with the bucket bounds of
// deploy/otel/otel-collector.yaml — and served as a Prometheus exposition on a free port.
// A stand-in for the connector's naming and arithmetic, not for the collector itself.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

/** "5ms", "2.5s", "1m", "30m" (the collector's duration syntax, as the config uses it) in ms. */
export const durationMs = (text: string): number => {
  const match = /^([\d.]+)(ms|s|m|h)$/.exec(text.trim())
  if (match === null) throw new Error(`not a duration: ${text}`)
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"]
  return Number(match[1]) * unit
}

interface Series {
  readonly labels: string
  calls: number
  sumMs: number
  readonly buckets: Array<number>
}

/** One received span line: OtlpReceiver's JSON (RecordedSpan's shape plus `service`). */
interface SpanLine {
  readonly name: string
  readonly status: "unset" | "ok" | "error"
  readonly durationMs: number
  readonly service?: string
}

const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")}"`

export interface SpanmetricsExposition {
  /** host:port to scrape. */
  readonly target: string
  /** Feed one line as OtlpReceiver writes it. */
  readonly receive: (line: string) => void
  readonly spans: () => number
  readonly close: () => Promise<void>
}

export const startSpanmetricsExposition = async (bucketsMs: ReadonlyArray<number>): Promise<SpanmetricsExposition> => {
  const series = new Map<string, Series>()
  let spans = 0
  const receive = (line: string) => {
    const span = JSON.parse(line) as SpanLine
    const statusCode = span.status === "error" ? "STATUS_CODE_ERROR" : span.status === "ok" ? "STATUS_CODE_OK" : "STATUS_CODE_UNSET"
    // Effect's spans are internal unless they say otherwise; the received line does not carry the kind.
    const labels = `service_name=${quote(span.service ?? "unknown_service")},span_name=${
      quote(span.name)
    },span_kind="SPAN_KIND_INTERNAL",status_code=${quote(statusCode)}`
    const entry = series.get(labels) ?? { labels, calls: 0, sumMs: 0, buckets: bucketsMs.map(() => 0) }
    entry.calls++
    entry.sumMs += span.durationMs
    bucketsMs.forEach((bound, index) => {
      if (span.durationMs <= bound) entry.buckets[index]!++
    })
    series.set(labels, entry)
    spans++
  }
  const exposition = () => {
    const lines = [
      "# TYPE traces_span_metrics_calls_total counter",
      ...[...series.values()].map((entry) => `traces_span_metrics_calls_total{${entry.labels}} ${entry.calls}`),
      "# TYPE traces_span_metrics_duration_milliseconds histogram"
    ]
    for (const entry of series.values()) {
      bucketsMs.forEach((bound, index) =>
        lines.push(`traces_span_metrics_duration_milliseconds_bucket{${entry.labels},le="${bound}"} ${entry.buckets[index]}`)
      )
      lines.push(`traces_span_metrics_duration_milliseconds_bucket{${entry.labels},le="+Inf"} ${entry.calls}`)
      lines.push(`traces_span_metrics_duration_milliseconds_sum{${entry.labels}} ${entry.sumMs}`)
      lines.push(`traces_span_metrics_duration_milliseconds_count{${entry.labels}} ${entry.calls}`)
    }
    return lines.join("\n") + "\n"
  }
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    receive,
    spans: () => spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
