// Which notifications were sent (design.md §15): one record per (notifier, subject, generation,
// reason), so each is delivered once across passes, flapping and leader changes. The etcd layer
// (src/store/EtcdNotificationLedger.ts) keeps them at `<p>/notifications/...`; this memory layer
// serves service-level tests.
//
// Claim, send, settle: a leader first *claims* the key (create-if-absent, bound to its leadership
// lease), then sends, then *settles* it as delivered or failed (a compare-and-swap on the claim,
// bound to a long lease). A leader that dies mid-send loses its claim with its lease, and the next
// leader sends again: at least once, never silently lost. A settled record stops every later leader.
import { Context, DateTime, Effect, Layer, Schema } from "effect"
import type { StoreError } from "../store/StoreError.ts"

export const DeliveryState = Schema.Literals(["claimed", "delivered", "failed"])
export type DeliveryState = typeof DeliveryState.Type

export const DeliveryRecord = Schema.Struct({
  state: DeliveryState,
  /** The controller (host/pid) that claimed or settled it. */
  by: Schema.String,
  at: Schema.String,
  attempts: Schema.optionalKey(Schema.Int),
  error: Schema.optionalKey(Schema.String)
})
export type DeliveryRecord = typeof DeliveryRecord.Type

/** What one notification is, for deduplication: the same key is sent once. */
export interface DedupeKey {
  readonly notifier: string
  /** The instance name, or `gitsource:<name>` for a GitSource's events. */
  readonly subject: string
  readonly generation: number
  readonly reason: string
}

/** One line of `describe notifier`: a record and the key it settles. */
export interface NotifierDelivery {
  readonly subject: string
  readonly generation: number
  readonly reason: string
  readonly record: DeliveryRecord
}

export type ClaimResult =
  | { readonly _tag: "Claimed"; readonly token: string }
  | { readonly _tag: "Taken"; readonly record: DeliveryRecord }

export const dedupeKeyText = (key: DedupeKey): string => `${key.notifier}/${key.subject}/${key.generation}/${key.reason}`

export class NotificationLedger extends Context.Service<NotificationLedger, {
  /** Creates the record as `claimed` unless it exists; the claim lives as long as `leaseId`. */
  readonly claim: (key: DedupeKey, holder: string, leaseId: string) => Effect.Effect<ClaimResult, StoreError>
  /** Replaces our claim with the outcome; false when the claim was lost meanwhile (lease expired). */
  readonly settle: (key: DedupeKey, token: string, record: DeliveryRecord) => Effect.Effect<boolean, StoreError>
  /** Keeps a settled record alive as long as the event that could trigger it again (see the etcd layer). */
  readonly touch: (key: DedupeKey) => Effect.Effect<void, StoreError>
  readonly list: (notifier: string) => Effect.Effect<ReadonlyArray<NotifierDelivery>, StoreError>
}>()("mdeploy/notify/NotificationLedger") {
  static readonly layerMemory: Layer.Layer<NotificationLedger> = Layer.sync(NotificationLedger, () => {
    const records = new Map<string, { readonly key: DedupeKey; readonly record: DeliveryRecord; readonly token: string }>()
    let revision = 0
    return NotificationLedger.of({
      claim: (key, holder) =>
        Effect.gen(function*() {
          const existing = records.get(dedupeKeyText(key))
          if (existing !== undefined) return { _tag: "Taken", record: existing.record } as const
          const token = String(++revision)
          records.set(dedupeKeyText(key), {
            key,
            token,
            record: { state: "claimed", by: holder, at: DateTime.formatIso(yield* DateTime.now) }
          })
          return { _tag: "Claimed", token } as const
        }),
      settle: (key, token, record) =>
        Effect.sync(() => {
          const existing = records.get(dedupeKeyText(key))
          if (existing?.token !== token) return false
          records.set(dedupeKeyText(key), { key, token: String(++revision), record })
          return true
        }),
      touch: () => Effect.void,
      list: (notifier) =>
        Effect.sync(() =>
          [...records.values()].filter((entry) => entry.key.notifier === notifier).map(({ key, record }) => ({
            subject: key.subject,
            generation: key.generation,
            reason: key.reason,
            record
          }))
        )
    })
  })
}

/**
 * The key of one notification. A GitSource's SyncFailed is told once per failing revision (its
 * generation only moves when its spec does, and a new commit that fails again is news).
 */
export const dedupeKeyOf = (
  notifier: string,
  subject: string,
  event: { readonly reason: string; readonly context?: { readonly generation?: number; readonly revision?: string } }
): DedupeKey => {
  const commit = event.context?.revision?.split(" ")[0]
  const reason = event.reason === "SyncFailed" && commit !== undefined && commit !== ""
    ? `${event.reason}.${commit.slice(0, 12)}`
    : event.reason
  return { notifier, subject, generation: event.context?.generation ?? 0, reason }
}
