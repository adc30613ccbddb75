// Marathon's event bus: every state change publishes an event; SSE streams and in-process
// listeners subscribe with an optional event-type filter. Payloads are built lazily, so an
// emulator without subscribers does no event work on its hot paths. Stream faults (F11) hook in
// through `interceptor`.

export type EventPayload = Record<string, unknown>

export interface SimEvent {
  readonly eventType: string
  readonly payload: EventPayload
  /** The SSE `data:` line content (single-line JSON with eventType and timestamp). */
  readonly json: string
}

export interface Subscriber {
  readonly types: ReadonlySet<string> | undefined
  /** Event-stream faults apply to this subscriber (SSE clients, not in-process listeners). */
  readonly faultable: boolean
  deliver(event: SimEvent): void
}

/** Decides what a subscriber gets for one event: nothing, the event, or several events. */
export type Interceptor = (subscriber: Subscriber, event: SimEvent) => ReadonlyArray<SimEvent> | undefined

export class EventBus {
  private readonly subscribers = new Set<Subscriber>()
  private readonly now: () => string
  interceptor: Interceptor | undefined = undefined

  constructor(now: () => string) {
    this.now = now
  }

  get size(): number {
    return this.subscribers.size
  }

  all(): ReadonlyArray<Subscriber> {
    return [...this.subscribers]
  }

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber)
    return () => {
      this.subscribers.delete(subscriber)
    }
  }

  /** Publishes `eventType`; `build` runs only if a subscriber wants the event. */
  emit(eventType: string, build: () => EventPayload): void {
    if (this.subscribers.size === 0) return
    let event: SimEvent | undefined
    for (const s of [...this.subscribers]) {
      if (s.types !== undefined && !s.types.has(eventType)) continue
      event ??= this.make(eventType, build())
      const out = this.interceptor === undefined || !s.faultable ? [event] : (this.interceptor(s, event) ?? [event])
      for (const e of out) s.deliver(e)
    }
  }

  make(eventType: string, payload: EventPayload): SimEvent {
    const full = { ...payload, eventType, timestamp: (payload["timestamp"] as string | undefined) ?? this.now() }
    return { eventType, payload: full, json: JSON.stringify(full) }
  }
}
