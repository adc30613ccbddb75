// A span processor that hands over whole traces: it keeps the finished spans a filter asks for,
// grouped by trace, and when the trace's root span (of a given name) ends it passes them to a
// listener and forgets them. The controller turns its reconcile passes into rollouts this way
// (src/rollouts/). Bounded: a trace whose root never ends (an interrupted pass) is dropped once
// `maxTraces` newer ones are open. Imports OpenTelemetry types only.
import type { Context } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { AttributeValue, RecordedSpan } from "./SpanRecorder.ts"

export interface TraceTapOptions {
  /** The name of the root span that ends a trace. */
  readonly root: string
  /** Which spans to keep (the root is always kept). */
  readonly keep: (name: string) => boolean
  readonly maxTraces?: number
}

const hrToMs = (time: readonly [number, number]): number => time[0] * 1e3 + time[1] / 1e6

export class TraceTap implements SpanProcessor {
  readonly #open = new Map<string, Array<RecordedSpan>>()
  #listener: ((spans: ReadonlyArray<RecordedSpan>) => void) | undefined
  #order = 0

  readonly options: TraceTapOptions

  constructor(options: TraceTapOptions) {
    this.options = options
  }

  /** Sets the listener (one at a time); returns a function that removes it. Without one, nothing is kept. */
  listen(listener: (spans: ReadonlyArray<RecordedSpan>) => void): () => void {
    this.#listener = listener
    return () => {
      if (this.#listener === listener) this.#listener = undefined
      this.#open.clear()
    }
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const listener = this.#listener
    if (listener === undefined) return
    const isRoot = span.name === this.options.root
    if (!isRoot && !this.options.keep(span.name)) return
    const context = span.spanContext()
    const startTimeMs = hrToMs(span.startTime)
    const recorded: RecordedSpan = {
      name: span.name,
      traceId: context.traceId,
      spanId: context.spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      attributes: { ...span.attributes } as Record<string, AttributeValue>,
      events: [],
      status: span.status.code === 2 ? "error" : span.status.code === 1 ? "ok" : "unset",
      statusMessage: span.status.message,
      startTimeMs,
      durationMs: hrToMs(span.duration),
      startOrder: this.#order++
    }
    const spans = this.#open.get(context.traceId) ?? []
    spans.push(recorded)
    if (!isRoot) {
      this.#open.set(context.traceId, spans)
      const max = this.options.maxTraces ?? 1_000
      // Maps iterate in insertion order: the first key is the oldest open trace.
      if (this.#open.size > max) this.#open.delete(this.#open.keys().next().value!)
      return
    }
    this.#open.delete(context.traceId)
    try {
      listener(spans)
    } catch {
      // A listener's failure must not break the tracer of the pass it listens to.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
