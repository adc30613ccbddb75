// Where the deletion budget's ledger lives (design.md §11: `<p>/cleanup/ledger`), as a service with
// compare-and-swap updates: the controller admits tear-downs and `mdeploy cleanup approve` adds
// approvals, possibly at once, and neither may lose the other's write. This file owns the interface
// and the in-memory implementation; the etcd one lives in src/store and behaves the same.
import { Context, Effect, Layer, Ref, Schema } from "effect"
import type { Ledger } from "./DeletionBudget.ts"
import { emptyLedger } from "./DeletionBudget.ts"

export class CleanupLedgerError extends Schema.TaggedError<CleanupLedgerError>()("CleanupLedgerError", {
  message: Schema.String,
  /** etcd did not answer (unavailable, deadline): a swap may or may not have landed. */
  unanswered: Schema.optionalKey(Schema.Boolean)
}) {}

export interface VersionedLedger {
  readonly ledger: Ledger
  /** Opaque version for compare-and-swap ("0": never written). */
  readonly version: string
}

/** Attempts of one update before giving up on a contended ledger. */
const maxAttempts = 8

export class CleanupLedger extends Context.Service<CleanupLedger, {
  readonly read: Effect.Effect<VersionedLedger, CleanupLedgerError>
  /** Writes `ledger` only if the stored version is still `version`; false when it moved. */
  readonly swap: (ledger: Ledger, version: string) => Effect.Effect<boolean, CleanupLedgerError>
}>()("mdeploy/cleanup/CleanupLedger") {
  static readonly layerMemory: Layer.Layer<CleanupLedger> = Layer.effect(
    CleanupLedger,
    Effect.gen(function*() {
      const store = yield* Ref.make<{ ledger: Ledger; version: number }>({ ledger: emptyLedger, version: 0 })
      return CleanupLedger.of({
        read: Effect.map(Ref.get(store), (current) => ({ ledger: current.ledger, version: String(current.version) })),
        swap: (ledger, version) =>
          Ref.modify(
            store,
            (current) => String(current.version) === version ? [true, { ledger, version: current.version + 1 }] : [false, current]
          )
      })
    })
  )
}

/**
 * Read, change, compare-and-swap, again while someone else wrote in between. `change` returns the
 * new ledger (or undefined to write nothing) and a result.
 */
export const updateLedger = <A>(change: (ledger: Ledger) => { readonly next: Ledger | undefined; readonly result: A }) =>
  Effect.gen(function*() {
    const store = yield* CleanupLedger
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const { ledger, version } = yield* store.read
      const { next, result } = change(ledger)
      if (next === undefined || (yield* store.swap(next, version))) return result
    }
    return yield* new CleanupLedgerError({ message: "the cleanup ledger kept changing under this update" })
  })
