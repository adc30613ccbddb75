import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import { EventRecorder } from "../../src/events/EventRecorder.ts"
import type { EventNote, ListedEvent } from "../../src/events/InstanceEvent.ts"
import { eventId } from "../../src/events/InstanceEvent.ts"
import { etcdEventRecorderLayer } from "../../src/store/EtcdEventRecorder.ts"
import { makeKeys } from "../../src/store/Keys.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// Events on etcd count up per key however they are written: one recorder's sightings of a key in
// one batch, two recorders (two processes) seeing the same event, a value nobody can read, and a
// burst larger than one transaction.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const created: EventNote = { type: "Normal", reason: "AppCreated", message: "created /web.main.gitabc.config1" }
const stalled: EventNote = { type: "Warning", reason: "Stalled", message: "no progress for 10m" }

/** A recorder with its own memory of what it wrote, as another process would have. */
const recorder = (prefix: string) =>
  Effect.map(Layer.build(etcdEventRecorderLayer.pipe(Layer.provide(etcdLayer(etcd, prefix)))), Context.get(EventRecorder))

/** Polls the listing until `done` holds (the writer is behind `record`), for at most 20 s. */
const listUntil = (events: EventRecorder["Service"], done: (listed: ReadonlyArray<ListedEvent>) => boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 20_000
    for (;;) {
      const listed = yield* events.list()
      if (done(listed)) return listed
      if (Date.now() > deadline) return assert.fail(`timed out; listed: ${JSON.stringify(listed)}`)
      yield* Effect.sleep("20 millis")
    }
  })
const countOf = (listed: ReadonlyArray<ListedEvent>, instance: string, note: EventNote) =>
  listed.find((item) => item.instance === instance && item.event.reason === note.reason && item.event.message === note.message)?.event
    .count

describe("EventRecorder on etcd", () => {
  it.live("counts one key's sightings across batches and across recorders", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("events")
      const first = yield* recorder(prefix)
      const second = yield* recorder(prefix)
      yield* first.record("web.main", created)
      yield* first.record("web.main", created)
      yield* first.record("web.main", stalled)
      yield* listUntil(first, (listed) => countOf(listed, "web.main", created) === 2 && countOf(listed, "web.main", stalled) === 1)
      // The second recorder has never written the key: its first try is refused, it reads, it counts on.
      yield* second.record("web.main", created)
      yield* listUntil(second, (listed) => countOf(listed, "web.main", created) === 3)
      // The first one's memory of the key is now stale: the same path brings it to 4, not to 3 again.
      yield* first.record("web.main", created)
      const listed = yield* listUntil(first, (listed) => countOf(listed, "web.main", created) === 4)
      const event = listed.find((item) => item.event.reason === created.reason)!.event
      assert.isTrue(event.firstTimestamp <= event.lastTimestamp)
      assert.strictEqual(countOf(listed, "web.main", stalled), 1)
    })))

  it.live("overwrites an unreadable value as a first sighting", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("events-unreadable")
      yield* Effect.promise(() => rawPut(etcd, makeKeys(prefix).event("api.main", eventId(stalled)), "{not json"))
      const events = yield* recorder(prefix)
      yield* events.record("api.main", stalled)
      yield* events.record("api.main", stalled)
      yield* listUntil(events, (listed) => countOf(listed, "api.main", stalled) === 2)
    })))

  it.live("writes a burst larger than one transaction, every sighting counted", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("events-burst")
      const events = yield* recorder(prefix)
      const instances = Array.from({ length: 150 }, (_, index) => `svc${index}.main`)
      for (const instance of instances) {
        yield* events.record(instance, created)
        yield* events.record(instance, created)
      }
      const listed = yield* listUntil(events, (listed) =>
        listed.length === instances.length && listed.every((item) => item.event.count === 2))
      assert.deepStrictEqual(
        listed.map((item) =>
          item.instance
        ).sort(),
        [...instances].sort()
      )
    })))
})
