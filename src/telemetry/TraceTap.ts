// Hands over whole traces: a wrapper around the running Effect tracer (OpenTelemetry's bridge when
// spans are exported, Effect's own otherwise) that keeps the finished spans a filter asks for,
// grouped by trace, and when the trace's root span (of a given name) ends passes them to a listener
// and forgets them. The controller turns its reconcile passes into rollouts this way
// (src/rollouts/). A wrapper rather than an OpenTelemetry span processor, so that a controller that
// exports nothing keeps Effect's cheap tracer. Bounded: a trace whose root never ends (an
// interrupted pass) is dropped once `maxTraces` newer ones are open.
import { Exit, Option, Tracer } from "effect"
import type { AttributeValue, RecordedSpan } from "./SpanRecorder.ts"

export interface TraceTapOptions {
  /** The name of the root span that ends a trace. */
  readonly root: string
  /** Which spans to keep (the root is always kept). */
  readonly keep: (name: string) => boolean
  readonly maxTraces?: number
}

const attributeValue = (value: unknown): AttributeValue | undefined =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : undefined

export class TraceTap {
  readonly options: TraceTapOptions
  readonly #open = new Map<string, Array<RecordedSpan>>()
  #listener: ((spans: ReadonlyArray<RecordedSpan>) => void) | undefined
  #order = 0

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

  /** `base`, with every span it makes that the filter keeps seen by this tap when it ends. */
  wrap(base: Tracer.Tracer): Tracer.Tracer {
    const tap = this
    return Tracer.make({
      span(options) {
        const span = base.span(options)
        if (options.name !== tap.options.root && !tap.options.keep(options.name)) return span
        const end = span.end // The span's own end runs first: whatever it records (export, status) is not held up.
        ;(span as { end: Tracer.Span["end"] }).end = (endTime, exit) => {
          end.call(span, endTime, exit)
          tap.#ended(span, options.startTime, endTime, exit)
        }
        return span
      },
      ...(base.context === undefined ? {} : { context: base.context.bind(base) })
    })
  }

  #ended(span: Tracer.Span, startTime: bigint, endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    const listener = this.#listener
    if (listener === undefined) return
    const attributes: Record<string, AttributeValue> = {}
    for (const [key, value] of span.attributes) {
      const kept = attributeValue(value)
      if (kept !== undefined) attributes[key] = kept
    }
    const recorded: RecordedSpan = {
      name: span.name,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: Option.getOrUndefined(Option.map(span.parent, (parent) => parent.spanId)),
      attributes,
      events: [],
      status: Exit.isFailure(exit) ? "error" : "ok",
      statusMessage: undefined,
      startTimeMs: Number(startTime) / 1e6,
      durationMs: Number(endTime - startTime) / 1e6,
      startOrder: this.#order++
    }
    const spans = this.#open.get(span.traceId) ?? []
    spans.push(recorded)
    if (span.name !== this.options.root) {
      this.#open.set(span.traceId, spans)
      // Maps iterate in insertion order: the first key is the oldest open trace.
      if (this.#open.size > (this.options.maxTraces ?? 1_000)) this.#open.delete(this.#open.keys().next().value!)
      return
    }
    this.#open.delete(span.traceId)
    try {
      listener(spans)
    } catch {
      // A listener's failure must not break the pass whose span just ended.
    }
  }
}
