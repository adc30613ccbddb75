// Persistence of drain records (design.md §3: `<p>/drain/<name>/<taskId>` → `{requestedAt, method,
// appId}`), so a bounce in progress survives a controller restart. This file owns the interface
// and the in-memory implementation for tests and local runs; the etcd implementation lives in
// src/store and must behave the same (put replaces, remove of an absent record succeeds).
//
// Beside the records, drain delays counted down on the store's own clock (design.md §11): a
// process meeting a drain it did not make has only its wall clock and the maker's `requestedAt`,
// and a wall clock that is ahead would end the delay early. etcd counts a lease down on its
// leader's clock, the same for every process; the memory store counts on Effect's Clock.
import { Clock, Context, Effect, Layer, Ref, Schema } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { DrainRecord } from "./DrainRecord.ts"

export class DrainRecordsError extends Schema.TaggedError<DrainRecordsError>()("DrainRecordsError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/** A countdown's length as a store keeps it: etcd grants leases of whole seconds, at least one. */
export const wholeSeconds = (seconds: number): number => Math.max(1, Math.floor(seconds))

export class DrainRecords extends Context.Service<DrainRecords, {
  /** Every record of one instance, keyed by Marathon task id. */
  readonly list: (name: InstanceName) => Effect.Effect<ReadonlyMap<string, DrainRecord>, DrainRecordsError>
  /** Creates or replaces the record of one task. */
  readonly put: (name: InstanceName, taskId: string, record: DrainRecord) => Effect.Effect<void, DrainRecordsError>
  /** Removes the record of one task, and its delay; removing an absent record succeeds. */
  readonly remove: (name: InstanceName, taskId: string) => Effect.Effect<void, DrainRecordsError>
  /** Starts one countdown of `seconds` (whole, at least 1) on the store's clock for these tasks (one etcd lease). */
  readonly startDelay: (name: InstanceName, taskIds: ReadonlyArray<string>, seconds: number) => Effect.Effect<void, DrainRecordsError>
  /** The tasks of one instance whose countdown is still running. */
  readonly delaysRunning: (name: InstanceName) => Effect.Effect<ReadonlySet<string>, DrainRecordsError>
}>()("mdeploy/drain/DrainRecords") {
  /** In-memory records, for tests and `mdeploy up`-style local runs. */
  static readonly layerMemory: Layer.Layer<DrainRecords> = Layer.effect(
    DrainRecords,
    Effect.gen(function*() {
      const store = yield* Ref.make(new Map<InstanceName, ReadonlyMap<string, DrainRecord>>())
      // Per instance, per task: when its countdown ends (epoch ms on Effect's Clock).
      const delays = new Map<InstanceName, Map<string, number>>()
      return DrainRecords.of({
        list: (name) => Effect.map(Ref.get(store), (all) => all.get(name) ?? new Map()),
        put: (name, taskId, record) => Ref.update(store, (all) => new Map(all).set(name, new Map(all.get(name) ?? []).set(taskId, record))),
        remove: (name, taskId) =>
          Effect.andThen(
            Effect.sync(() => delays.get(name)?.delete(taskId)),
            Ref.update(store, (all) => {
              const records = new Map(all.get(name) ?? [])
              records.delete(taskId)
              return new Map(all).set(name, records)
            })
          ),
        startDelay: (name, taskIds, seconds) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const ends = delays.get(name) ?? new Map<string, number>()
            for (const taskId of taskIds) ends.set(taskId, now + wholeSeconds(seconds) * 1000)
            delays.set(name, ends)
          }),
        delaysRunning: (name) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const ends = delays.get(name)
            const running = new Set<string>()
            for (const [taskId, end] of ends ?? []) {
              if (end > now) running.add(taskId)
              else ends!.delete(taskId)
            }
            return running
          })
      })
    })
  )
}
