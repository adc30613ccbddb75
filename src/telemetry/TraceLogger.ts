// The process's log lines: logfmt or JSON, one line per Effect log to stderr, each carrying the
// `trace_id` and `span_id` of the span it was logged in, so a line leads to its trace and a
// trace to its lines. Reads the span from Effect's own context, never from OpenTelemetry, so
// commands that load no telemetry SDK can use it too (ids then come from Effect's tracer).
import { Cause, Context, Formatter, Layer, Logger, References, Tracer } from "effect"
import type { LogFormat, LogSettings } from "./LogSettings.ts"

// Keys the logger writes itself; annotations by these names are dropped rather than doubled.
const reserved = new Set(["time", "level", "msg", "cause", "trace_id", "span_id"])

const text = (value: unknown): string => typeof value === "string" ? value : Formatter.format(value, { space: 0 })

/** logfmt: bare when the value has no space, quote or `=`; JSON string quoting otherwise. */
const logfmtValue = (value: string): string => /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value)
const logfmtKey = (key: string): string => key.replace(/[\s="]/g, "_")

interface Line {
  readonly fields: ReadonlyArray<readonly [string, unknown]>
}

const collect = (options: Logger.Options<unknown>): Line => {
  const { cause, date, fiber, logLevel, message } = options
  const parts = Array.isArray(message) ? message : [message]
  const fields: Array<readonly [string, unknown]> = [
    ["time", date.toISOString()],
    ["level", logLevel.toUpperCase()],
    ["msg", parts.map(text).join(" ")]
  ]
  for (const [key, value] of Object.entries(fiber.getRef(References.CurrentLogAnnotations))) {
    if (!reserved.has(key)) fields.push([key, value])
  }
  const now = date.getTime()
  for (const [label, startedAt] of fiber.getRef(References.CurrentLogSpans)) {
    if (!reserved.has(label)) fields.push([label, `${now - startedAt}ms`])
  }
  if (cause.reasons.length > 0) fields.push(["cause", Cause.pretty(cause)])
  const span = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
  if (span !== undefined) {
    fields.push(["trace_id", span.traceId], ["span_id", span.spanId])
  }
  return { fields }
}

const render = (format: LogFormat, line: Line): string => {
  if (format === "json") {
    const record: Record<string, unknown> = {}
    for (const [key, value] of line.fields) {
      // Non-JSON values (bigint, functions, cycles) go through Effect's formatter.
      record[key] = typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null
        ? value
        : JSON.parse(Formatter.formatJson(value))
    }
    return JSON.stringify(record)
  }
  return line.fields.map(([key, value]) => `${logfmtKey(key)}=${logfmtValue(text(value))}`).join(" ")
}

const writeStderr = (line: string): void => {
  process.stderr.write(line + "\n")
}

/** A logger writing one `format` line per log entry to `write` (stderr by default). */
export const make = (format: LogFormat, write: (line: string) => void = writeStderr): Logger.Logger<unknown, void> =>
  Logger.make((options) => write(render(format, collect(options))))

/**
 * Replaces the program's loggers with this one, plus Effect's tracer logger, which records each
 * log line as an event on the current span.
 */
export const layer = (settings: LogSettings): Layer.Layer<never> => {
  const loggers = Logger.layer([make(settings.format, settings.write), Logger.tracerLogger])
  return settings.level === undefined
    ? loggers
    : Layer.merge(loggers, Layer.succeed(References.MinimumLogLevel, settings.level))
}
