// Finished spans kept in memory, for tests and for commands that print a trace. A SpanProcessor
// of its own (not InMemorySpanExporter, which the provider clears when it shuts down), so spans
// stay readable after the telemetry layer has closed. Renders span trees as indented text.
// Imports OpenTelemetry types only: loading this module loads no SDK.
import type { Context } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"

export type AttributeValue = string | number | boolean | ReadonlyArray<string | number | boolean | null | undefined>

export interface RecordedEvent {
  readonly name: string
  readonly attributes: Readonly<Record<string, AttributeValue>>
  /** Milliseconds since the span started. */
  readonly offsetMs: number
}

export interface RecordedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  /** Undefined for a root span. */
  readonly parentSpanId: string | undefined
  readonly attributes: Readonly<Record<string, AttributeValue>>
  readonly events: ReadonlyArray<RecordedEvent>
  readonly status: "unset" | "ok" | "error"
  readonly statusMessage: string | undefined
  /** Unix epoch milliseconds. */
  readonly startTimeMs: number
  readonly durationMs: number
  /** Order in which spans started, for ordering siblings that start in the same millisecond. */
  readonly startOrder: number
}

export interface TreeOptions {
  /** Render only the subtrees under spans of this name (or matching this test); default every root. */
  readonly root?: string | ((span: RecordedSpan) => boolean) | undefined
  /** Attribute keys to show (span and event attributes); default all but `code.*`, `effect.*` and stack traces. */
  readonly attributes?: ReadonlyArray<string> | ((key: string) => boolean) | undefined
  /** Show span events as `· name {…}` lines; default true. */
  readonly events?: boolean | undefined
  /** Append each span's duration; default false so that trees compare as text. */
  readonly durations?: boolean | undefined
}

// Effect adds source locations, fiber ids and stack traces, which differ run to run.
const defaultAttributeFilter = (key: string): boolean =>
  !key.startsWith("code.") && !key.startsWith("effect.") && key !== "exception.stacktrace"

// Effect's tracer logger names an event after the logged message, a pretty-printed JSON array
// when the message has several parts: keep tree lines single-line.
const eventName = (name: string): string => {
  if (!name.includes("\n")) return name
  try {
    return JSON.stringify(JSON.parse(name))
  } catch {
    return name.replace(/\s*\n\s*/g, " ")
  }
}

const hrToMs = (time: readonly [number, number]): number => time[0] * 1e3 + time[1] / 1e6

// OpenTelemetry's SpanStatusCode: 0 unset, 1 ok, 2 error (numbers, to keep the API out of the import graph).
const statusName = (code: number): RecordedSpan["status"] => code === 2 ? "error" : code === 1 ? "ok" : "unset"

// Bare when unambiguous, JSON-quoted otherwise; arrays as JSON arrays.
const value = (raw: AttributeValue): string => {
  if (typeof raw !== "string") return JSON.stringify(raw)
  return /^[^\s"=,{}]+$/.test(raw) ? raw : JSON.stringify(raw)
}

const attributeText = (
  attributes: Readonly<Record<string, AttributeValue>>,
  show: (key: string) => boolean
): string => {
  const entries = Object.keys(attributes).filter(show).sort().map((key) => `${key}=${value(attributes[key]!)}`)
  return entries.length === 0 ? "" : ` {${entries.join(", ")}}`
}

/** Renders the spans as an indented tree, two spaces per level; children in start order. */
export const renderSpanTree = (spans: ReadonlyArray<RecordedSpan>, options: TreeOptions = {}): string => {
  const listed = options.attributes
  const show = listed === undefined
    ? defaultAttributeFilter
    : typeof listed === "function"
    ? listed
    : (key: string) => listed.includes(key)
  const ids = new Set(spans.map((span) => span.spanId))
  const children = new Map<string | undefined, Array<RecordedSpan>>()
  for (const span of spans) {
    // A span whose parent was not recorded (remote, or started before recording) counts as a root.
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined
    const siblings = children.get(parent) ?? []
    siblings.push(span)
    children.set(parent, siblings)
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.startOrder - b.startOrder)

  const root = options.root
  const isRoot = root === undefined
    ? (span: RecordedSpan) => span.parentSpanId === undefined || !ids.has(span.parentSpanId)
    : typeof root === "string"
    ? (span: RecordedSpan) => span.name === root
    : root
  const lines: Array<string> = []
  const walk = (span: RecordedSpan, depth: number): void => {
    const indent = "  ".repeat(depth)
    const status = span.status === "error"
      ? ` !error${span.statusMessage === undefined ? "" : ` ${JSON.stringify(span.statusMessage)}`}`
      : ""
    const duration = options.durations === true ? ` (${span.durationMs.toFixed(1)} ms)` : ""
    lines.push(`${indent}${span.name}${attributeText(span.attributes, show)}${status}${duration}`)
    if (options.events !== false) {
      for (const event of span.events) lines.push(`${indent}  · ${eventName(event.name)}${attributeText(event.attributes, show)}`)
    }
    for (const child of children.get(span.spanId) ?? []) walk(child, depth + 1)
  }
  // Top-most matches only: a matching span inside a rendered subtree is not rendered twice.
  const visit = (span: RecordedSpan): void => {
    if (isRoot(span)) return walk(span, 0)
    for (const child of children.get(span.spanId) ?? []) visit(child)
  }
  for (const top of children.get(undefined) ?? []) visit(top)
  return lines.join("\n")
}

/**
 * A SpanProcessor that records every finished span. Pass it as `spanProcessor` to
 * `Telemetry.layer`; read `spans` or `tree()` at any time, also after the layer has shut down.
 */
export class SpanRecorder implements SpanProcessor {
  readonly #finished: Array<RecordedSpan> = []
  readonly #startOrder = new WeakMap<object, number>()
  #started = 0

  /** Finished spans in the order they ended. */
  get spans(): ReadonlyArray<RecordedSpan> {
    return this.#finished.slice()
  }

  /** Finished spans of that name, in the order they ended. */
  named(name: string): ReadonlyArray<RecordedSpan> {
    return this.#finished.filter((span) => span.name === name)
  }

  /** Every finished span of one trace. */
  trace(traceId: string): ReadonlyArray<RecordedSpan> {
    return this.#finished.filter((span) => span.traceId === traceId)
  }

  /** The finished spans as an indented tree (see `renderSpanTree`). */
  tree(options?: TreeOptions): string {
    return renderSpanTree(this.#finished, options)
  }

  clear(): void {
    this.#finished.length = 0
  }

  onStart(span: Span, _parentContext: Context): void {
    this.#startOrder.set(span, this.#started++)
  }

  onEnd(span: ReadableSpan): void {
    const context = span.spanContext()
    const startTimeMs = hrToMs(span.startTime)
    this.#finished.push({
      name: span.name,
      traceId: context.traceId,
      spanId: context.spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      attributes: { ...span.attributes } as Record<string, AttributeValue>,
      events: span.events.map((event) => ({
        name: event.name,
        attributes: { ...event.attributes } as Record<string, AttributeValue>,
        offsetMs: hrToMs(event.time) - startTimeMs
      })),
      status: statusName(span.status.code),
      statusMessage: span.status.message,
      startTimeMs,
      durationMs: hrToMs(span.duration),
      startOrder: this.#startOrder.get(span) ?? this.#started++
    })
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  // Deliberately keeps the spans: reading them after the layer closed is the point.
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
