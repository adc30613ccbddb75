// DrainRecords on etcd: `<p>/drain/<name>/<taskId>` → DrainRecord JSON (design.md §3). Only the
// holder of the instance lock writes these, so plain puts suffice; an unreadable record is
// dropped from the listing (the next reconcile drains that task again, which is idempotent).
// A drain delay's countdown is `<p>/drain-delay/<name>/<taskId>` on a lease of the countdown's
// length: etcd deletes the key when the lease ends, on its own clock.
import { Effect, Layer, Result, Schema } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import { DrainRecordJson } from "../drain/DrainRecord.ts"
import type { DrainRecord } from "../drain/DrainRecord.ts"
import { DrainRecords, DrainRecordsError, wholeSeconds } from "../drain/DrainRecords.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import type { StoreError } from "./StoreError.ts"

const decode = Schema.decodeUnknownResult(DrainRecordJson)
const encode = Schema.encodeSync(DrainRecordJson)

const wrap = <A>(effect: Effect.Effect<A, StoreError>) =>
  effect.pipe(Effect.mapError((error) => new DrainRecordsError({ message: error.oneLine, cause: error })))

export const etcdDrainRecordsLayer: Layer.Layer<DrainRecords, never, EtcdClient> = Layer.effect(
  DrainRecords,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    return DrainRecords.of({
      list: Effect.fn("DrainRecords.list")(function*(name: InstanceName) {
        const prefix = keys.drainsOf(name)
        const values = yield* wrap(etcd.callIdempotent("list drain records", (client) => client.getAll().prefix(prefix).strings()))
        const records = new Map<string, DrainRecord>()
        for (const [key, value] of Object.entries(values)) {
          const decoded = decode(value)
          if (Result.isSuccess(decoded)) records.set(key.slice(prefix.length), decoded.success)
        }
        return records
      }),
      put: Effect.fn("DrainRecords.put")(function*(name: InstanceName, taskId: string, record: DrainRecord) {
        yield* wrap(etcd.call("put drain record", (client) => client.put(keys.drain(name, taskId)).value(encode(record)).exec()))
      }),
      remove: Effect.fn("DrainRecords.remove")(function*(name: InstanceName, taskId: string) {
        // One request for both keys: a comparison that always holds (a key's version is never negative).
        const record = keys.drain(name, taskId)
        yield* wrap(etcd.call("remove drain record", (client) =>
          client.if(record, "Version", ">", -1)
            .then(client.delete().key(record), client.delete().key(keys.drainDelay(name, taskId)))
            .commit()))
      }),
      startDelay: Effect.fn("DrainRecords.startDelay")(function*(name: InstanceName, taskIds: ReadonlyArray<string>, seconds: number) {
        if (taskIds.length === 0) return
        const ttl = wholeSeconds(seconds)
        const lease = yield* wrap(etcd.call("grant drain delay lease", (client) => client.lease(ttl, { autoKeepAlive: false }).grant()))
        const first = keys.drainDelay(name, taskIds[0]!)
        yield* wrap(etcd.call("start drain delay", (client) =>
          client.if(first, "Version", ">", -1)
            .then(...taskIds.map((taskId) => client.put(keys.drainDelay(name, taskId)).value(String(ttl)).lease(lease)))
            .commit()))
      }),
      delaysRunning: Effect.fn("DrainRecords.delaysRunning")(function*(name: InstanceName) {
        const prefix = keys.drainDelaysOf(name)
        const running = yield* wrap(etcd.callIdempotent("list drain delays", (client) => client.getAll().prefix(prefix).keys()))
        return new Set(running.map((key) => key.slice(prefix.length)))
      })
    })
  })
)
