// NotificationLedger on etcd (design.md §15): `<p>/notifications/<notifier>/<subject>/<generation>/<reason>`.
// A claim is created only if the key is absent and is bound to the claiming leader's session lease:
// when that leader dies or steps down mid-send, etcd deletes the claim and the next leader sends
// again (at least once). Settling is a compare-and-swap on the claim's mod revision, so a leader
// whose claim expired cannot overwrite a successor's record.
//
// Growth is bounded by leases, not by clean-up code: a settled record is bound to a lease of two
// hours, longer than any event can live (an hour after its last sighting), and `touch` renews it
// when the event is seen again, so no event in etcd ever finds its record gone; records of
// generations that moved on or instances that were deleted expire on their own. As with events,
// one lease serves every record settled within five minutes of its grant.
import { Effect, Layer, Result, Schema } from "effect"
import type { DedupeKey, DeliveryRecord as Record_, NotifierDelivery } from "../notify/NotificationLedger.ts"
import { DeliveryRecord, NotificationLedger } from "../notify/NotificationLedger.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"

export const recordTtlSeconds = 2 * 3_600
const leaseReuseMs = 5 * 60_000
const decode = Schema.decodeUnknownResult(Schema.fromJsonString(DeliveryRecord))

/** One notifier's delivery records from their stored keys and values (under `prefix`, the notifier's). */
export const deliveriesOf = (prefix: string, entries: Iterable<readonly [string, string]>): ReadonlyArray<NotifierDelivery> => {
  const found: Array<NotifierDelivery> = []
  for (const [path, value] of entries) {
    const [subject, generation, reason] = path.slice(prefix.length).split("/")
    const decoded = decode(value)
    if (subject === undefined || generation === undefined || reason === undefined || Result.isFailure(decoded)) continue
    found.push({ subject, generation: Number(generation), reason, record: decoded.success })
  }
  return found
}

export const etcdNotificationLedgerLayer: Layer.Layer<NotificationLedger, never, EtcdClient> = Layer.effect(
  NotificationLedger,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const keyOf = (key: DedupeKey) => keys.notification(key.notifier, key.subject, key.generation, key.reason)
    let lease: { readonly id: string; readonly grantedAt: number } | undefined

    const recordLease = Effect.gen(function*() {
      const now = Date.now()
      if (lease !== undefined && now - lease.grantedAt < leaseReuseMs) return lease.id
      const id = yield* etcd.call("grant notification lease", (client) => client.lease(recordTtlSeconds, { autoKeepAlive: false }).grant())
      lease = { id, grantedAt: now }
      return id
    })

    const read = (key: string) =>
      Effect.map(etcd.callIdempotent("read notification", (client) => client.get(key).exec()), (response) => {
        const kv = response.kvs[0]
        if (kv === undefined) return undefined
        const decoded = decode(kv.value.toString())
        // An unreadable record still stops a resend: it was written by a delivery of some kind.
        const record: Record_ = Result.isSuccess(decoded) ? decoded.success : { state: "delivered", by: "unknown", at: "" }
        return { record, modRevision: kv.mod_revision }
      })

    const claim = (key: DedupeKey, holder: string, leaseId: string) =>
      Effect.gen(function*() {
        const path = keyOf(key)
        const value: Record_ = { state: "claimed", by: holder, at: new Date().toISOString() }
        const result = yield* etcd.call("claim notification", (client) =>
          client.if(path, "Create", "==", 0).then(client.put(path).value(JSON.stringify(value)).lease(leaseId)).commit())
        if (result.succeeded) {
          return { _tag: "Claimed", token: result.header.revision } as const
        }
        const current = yield* read(path)
        // Gone between the two calls (a claim whose lease just expired): taken by nobody, try again later.
        return { _tag: "Taken", record: current?.record ?? { ...value, by: "(expired)" } } as const
      })

    const settle = (key: DedupeKey, token: string, record: Record_) =>
      Effect.gen(function*() {
        const path = keyOf(key)
        const id = yield* recordLease
        const result = yield* etcd.call("settle notification", (client) =>
          client.if(path, "Mod", "==", token).then(client.put(path).value(JSON.stringify(record)).lease(id)).commit())
        return result.succeeded
      })

    const touch = (key: DedupeKey) =>
      Effect.gen(function*() {
        const path = keyOf(key)
        const current = yield* read(path)
        if (current === undefined || current.record.state === "claimed") return
        const id = yield* recordLease
        yield* etcd.call("touch notification", (client) =>
          client.if(path, "Mod", "==", current.modRevision).then(client.put(path).value(JSON.stringify(current.record)).lease(id)).commit())
      })

    const list = (notifier: string) =>
      Effect.gen(function*() {
        const prefix = `${keys.notifications}${notifier}/`
        const values = yield* etcd.callIdempotent("list notifications", (client) => client.getAll().prefix(prefix).strings())
        return deliveriesOf(prefix, Object.entries(values))
      })

    return NotificationLedger.of({ claim, settle, touch, list })
  })
)
