// Where events go: a service with an etcd layer (src/store/EtcdEventRecorder.ts, keys bound to an
// hour-long lease) and this memory layer for service-level tests. Recording never fails a pass:
// an event that cannot be written is logged and dropped.
import { Context, DateTime, Effect, Layer } from "effect"
import type { StoreError } from "../store/StoreError.ts"
import type { EventNote, InstanceEvent, ListedEvent } from "./InstanceEvent.ts"
import { eventId, observe } from "./InstanceEvent.ts"
import { currentSpan } from "../telemetry/CurrentSpan.ts"

export class EventRecorder extends Context.Service<EventRecorder, {
  readonly record: (instance: string, note: EventNote) => Effect.Effect<void>
  /** Events of one instance, or of all when `instance` is absent. */
  readonly list: (instance?: string) => Effect.Effect<ReadonlyArray<ListedEvent>, StoreError>
}>()("mdeploy/events/EventRecorder") {
  static readonly layerMemory: Layer.Layer<EventRecorder> = Layer.sync(EventRecorder, () => {
    const events = new Map<string, Map<string, InstanceEvent>>()
    return EventRecorder.of({
      record: (instance, note) =>
        Effect.gen(function*() {
          const at = DateTime.formatIso(yield* DateTime.now)
          const traceId = (yield* currentSpan)?.traceId
          const byId = events.get(instance) ?? new Map<string, InstanceEvent>()
          const id = eventId(note)
          byId.set(id, observe(byId.get(id), note, at, traceId))
          events.set(instance, byId)
        }),
      list: (instance) =>
        Effect.sync(() =>
          [...events].filter(([name]) => instance === undefined || name === instance)
            .flatMap(([name, byId]) => [...byId.values()].map((event) => ({ instance: name, event })))
        )
    })
  })
}
