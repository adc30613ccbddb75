// Persistence of drain records (design.md §3: `<p>/drain/<name>/<taskId>` → `{requestedAt, method,
// appId}`), so a bounce in progress survives a controller restart. This file owns the interface
// and the in-memory implementation for tests and local runs; the etcd implementation lives in
// src/store and must behave the same (put replaces, remove of an absent record succeeds).
import { Context, Effect, Layer, Ref, Schema } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { DrainRecord } from "./DrainRecord.ts"

export class DrainRecordsError extends Schema.TaggedError<DrainRecordsError>()("DrainRecordsError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export class DrainRecords extends Context.Service<DrainRecords, {
  /** Every record of one instance, keyed by Marathon task id. */
  readonly list: (name: InstanceName) => Effect.Effect<ReadonlyMap<string, DrainRecord>, DrainRecordsError>
  /** Creates or replaces the record of one task. */
  readonly put: (name: InstanceName, taskId: string, record: DrainRecord) => Effect.Effect<void, DrainRecordsError>
  /** Removes the record of one task; removing an absent record succeeds. */
  readonly remove: (name: InstanceName, taskId: string) => Effect.Effect<void, DrainRecordsError>
}>()("mdeploy/drain/DrainRecords") {
  /** In-memory records, for tests and `mdeploy up`-style local runs. */
  static readonly layerMemory: Layer.Layer<DrainRecords> = Layer.effect(
    DrainRecords,
    Effect.gen(function*() {
      const store = yield* Ref.make(new Map<InstanceName, ReadonlyMap<string, DrainRecord>>())
      return DrainRecords.of({
        list: (name) => Effect.map(Ref.get(store), (all) => all.get(name) ?? new Map()),
        put: (name, taskId, record) => Ref.update(store, (all) => new Map(all).set(name, new Map(all.get(name) ?? []).set(taskId, record))),
        remove: (name, taskId) =>
          Ref.update(store, (all) => {
            const records = new Map(all.get(name) ?? [])
            records.delete(taskId)
            return new Map(all).set(name, records)
          })
      })
    })
  )
}
