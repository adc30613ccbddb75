// EventRecorder on etcd (design.md §13): `<p>/events/<name>/<id>`, each key bound to a lease of one
// hour, so events expire like Kubernetes Events without anyone deleting them. One lease serves all
// events written within five minutes of its grant (an event lives 55–60 minutes after its last
// sighting); it is never kept alive, and never revoked: events outlive the process that wrote them.
// Recording only queues the event: a pass never waits on etcd for one (an etcd election would
// otherwise hold every pass for its retries). One fiber writes them in order, what has queued up
// in one transaction; a full queue drops the newest, and at shutdown what is left gets two
// seconds to be written.
import { DateTime, Duration, Effect, Layer, Queue, Result, Schema } from "effect"
import { EventRecorder } from "../events/EventRecorder.ts"
import type { ListedEvent } from "../events/InstanceEvent.ts"
import { eventId, InstanceEvent, observe } from "../events/InstanceEvent.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import { currentSpan } from "../telemetry/CurrentSpan.ts"

const eventTtlSeconds = 3_600
const leaseReuseMs = 5 * 60_000
/** Sightings written in one transaction: a compare and a put each, within etcd's 128 operations. */
const batchLimit = 64
/** Keys whose last write the recorder remembers (about 300 bytes each). */
const rememberedKeys = 10_000
/** Transactions a batch gets when other writers keep changing its keys; then it is dropped, logged. */
const writeAttempts = 3
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

    // What this recorder last wrote of each key, with the key's mod revision: the next sighting is
    // one transaction (put if the key is still as written, else read it) instead of a read and a
    // put. Bounded: a key it forgot is read back by the transaction that finds it there. An event
    // of undefined is a key whose stored value is unreadable: it is overwritten as a first sighting.
    const written = new Map<string, { readonly mod: string; readonly event: InstanceEvent | undefined }>()
    const remember = (key: string, mod: string, event: InstanceEvent | undefined) => {
      written.delete(key)
      written.set(key, { mod, event })
      if (written.size > rememberedKeys) written.delete(written.keys().next().value!)
    }

    /**
     * Writes a batch of sightings as one transaction: each key's compare is what this recorder
     * believes is stored (absent, or its last write); the puts follow when all hold, and when one
     * does not the keys are read back, to try again on what etcd holds.
     */
    const writeBatch = (batch: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        const byKey = new Map<string, Array<Pending>>()
        for (const sighting of batch) {
          const key = keys.event(sighting.instance, eventId(sighting.note))
          const same = byKey.get(key)
          if (same === undefined) byKey.set(key, [sighting])
          else same.push(sighting)
        }
        for (let attempt = 1; attempt <= writeAttempts; attempt++) {
          const id = yield* leaseId
          const next = [...byKey].map(([key, sightings]) => {
            const before = written.get(key)
            let event = before?.event
            for (const { note, at, traceId } of sightings) event = observe(event, note, at, traceId)
            return { key, before, event, value: JSON.stringify(event) }
          })
          const result = yield* etcd.call("write events", (client) => {
            const [first, ...rest] = next
            const comparison = first!.before === undefined
              ? client.if(first!.key, "Create", "==", 0)
              : client.if(first!.key, "Mod", "==", first!.before.mod)
            for (const { key, before } of rest) {
              if (before === undefined) comparison.and(key, "Create", "==", 0)
              else comparison.and(key, "Mod", "==", before.mod)
            }
            return comparison
              .then(...next.map(({ key, value }) => client.put(key).value(value).lease(id)))
              .else(...next.map(({ key }) => client.get(key)))
              .commit()
          })
          if (result.succeeded) {
            for (const { key, event } of next) remember(key, result.header.revision, event)
            return
          }
          result.responses.forEach((response, index) => {
            const key = next[index]!.key
            const kv = response.response_range.kvs[0]
            if (kv === undefined) written.delete(key)
            else remember(key, kv.mod_revision, Result.getOrUndefined(decode(kv.value.toString())))
          })
        }
        yield* Effect.logWarning("events not recorded: their keys kept changing under another writer").pipe(
          Effect.annotateLogs({ instances: [...new Set(batch.map((sighting) => sighting.instance))].join(",") })
        )
      }).pipe(
        // An event is worth less than the pass that made it: never fail anything over one.
        Effect.catch((error) =>
          Effect.logWarning("events not recorded").pipe(
            Effect.annotateLogs({ instances: [...new Set(batch.map((sighting) => sighting.instance))].join(","), error: error.oneLine })
          )
        )
      )

    const pending = yield* Queue.dropping<Pending>(1_024)
    yield* Queue.takeBetween(pending, 1, batchLimit).pipe(Effect.flatMap(writeBatch), Effect.forever, Effect.forkScoped)
    yield* Effect.addFinalizer(() =>
      Queue.clear(pending).pipe(
        Effect.flatMap((left) =>
          Effect.forEach(Array.from({ length: Math.ceil(left.length / batchLimit) }, (_, index) => index * batchLimit), (from) =>
            writeBatch(left.slice(from, from + batchLimit)), { discard: true })
        ),
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
