// EventRecorder on etcd (design.md §13): `<p>/events/<name>/<id>`, each key bound to a lease of one
// hour, so events expire like Kubernetes Events without anyone deleting them. One lease serves all
// events written within five minutes of its grant (an event lives 55–60 minutes after its last
// sighting); it is never kept alive, and never revoked: events outlive the process that wrote them.
// Recording only queues the event: a pass never waits on etcd for one (an etcd election would
// otherwise hold every pass for its retries). One fiber writes them in order; a full queue drops
// the newest, and at shutdown what is left gets two seconds to be written.
import { DateTime, Duration, Effect, Layer, Queue, Result, Schema } from "effect"
import { EventRecorder } from "../events/EventRecorder.ts"
import type { ListedEvent } from "../events/InstanceEvent.ts"
import { eventId, InstanceEvent, observe } from "../events/InstanceEvent.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import { currentSpan } from "../telemetry/CurrentSpan.ts"

const eventTtlSeconds = 3_600
const leaseReuseMs = 5 * 60_000
const decode = Schema.decodeUnknownResult(Schema.fromJsonString(InstanceEvent))

/** Events from their stored keys and values (under `eventsPrefix`, `<p>/events/`); unreadable ones are left out. */
export const eventsOf = (eventsPrefix: string, entries: Iterable<readonly [string, string]>): ReadonlyArray<ListedEvent> => {
  const listed: Array<ListedEvent> = []
  for (const [key, value] of entries) {
    const decoded = decode(value)
    if (Result.isFailure(decoded)) continue
    const rest = key.slice(eventsPrefix.length)
    listed.push({ instance: rest.slice(0, rest.indexOf("/")), event: decoded.success })
  }
  return listed
}

export const etcdEventRecorderLayer: Layer.Layer<EventRecorder, never, EtcdClient> = Layer.effect(
  EventRecorder,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    let lease: { readonly id: string; readonly grantedAt: number } | undefined

    const leaseId = Effect.gen(function*() {
      const now = Date.now()
      if (lease !== undefined && now - lease.grantedAt < leaseReuseMs) return lease.id
      const id = yield* etcd.call("grant event lease", (client) => client.lease(eventTtlSeconds, { autoKeepAlive: false }).grant())
      lease = { id, grantedAt: now }
      return id
    })

    type Note = Parameters<EventRecorder["Service"]["record"]>[1]
    interface Pending {
      readonly instance: string
      readonly note: Note
      readonly at: string
      readonly traceId: string | undefined
    }

    const write = ({ instance, note, at, traceId }: Pending) =>
      Effect.gen(function*() {
        const key = keys.event(instance, eventId(note))
        const stored = yield* etcd.callIdempotent("read event", (client) => client.get(key).string())
        const previous = stored === null ? undefined : Result.getOrUndefined(decode(stored))
        const event = observe(previous, note, at, traceId)
        const id = yield* leaseId
        yield* etcd.call("write event", (client) => client.put(key).value(JSON.stringify(event)).lease(id).exec())
      }).pipe(
        // An event is worth less than the pass that made it: never fail anything over one.
        Effect.catch((error) =>
          Effect.logWarning("event not recorded").pipe(Effect.annotateLogs({ instance, reason: note.reason, error: error.oneLine }))
        )
      )

    const pending = yield* Queue.dropping<Pending>(1_024)
    yield* Queue.take(pending).pipe(Effect.flatMap(write), Effect.forever, Effect.forkScoped)
    yield* Effect.addFinalizer(() =>
      Queue.clear(pending).pipe(
        Effect.flatMap((left) => Effect.forEach(left, write, { discard: true })),
        Effect.timeoutOption(Duration.seconds(2)),
        Effect.ignore
      )
    )

    const record = (instance: string, note: Note) =>
      Effect.gen(function*() {
        const traceId = (yield* currentSpan)?.traceId
        yield* Queue.offer(pending, { instance, note, at: DateTime.formatIso(yield* DateTime.now), traceId })
      })

    const list = (instance?: string) =>
      Effect.gen(function*() {
        const prefix = instance === undefined ? keys.events : keys.eventsOf(instance)
        const values = yield* etcd.callIdempotent("list events", (client) => client.getAll().prefix(prefix).strings())
        return eventsOf(keys.events, Object.entries(values))
      })

    return EventRecorder.of({ record, list })
  })
)
