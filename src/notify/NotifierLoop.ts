// The leader's notifications (design.md §15), fed by the events the controller records: it follows
// the Notifiers (<p>/notifiers/) and, once there is one, the events (<p>/events/) with informers, and
// hands every event a notifier wants to the Dispatcher's queue. Reading the events back from etcd,
// rather than catching them on the way in, is what carries a notification across a leader change:
// a new leader lists the last hour's events and sends whatever no ledger record says was sent.
// Runs inside the leadership scope; losing leadership interrupts it and its deliveries.
import { Deferred, Effect, Result, Schema, Stream } from "effect"
import type { Scope } from "effect"
import type { HttpClient } from "effect/http"
import { InstanceEvent } from "../events/InstanceEvent.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { informer } from "../store/Informer.ts"
import { makeKeys } from "../store/Keys.ts"
import type { StoredNotifier } from "../store/NotifierStore.ts"
import { parseStoredNotifier } from "../store/NotifierStore.ts"
import type { DispatcherConfig } from "./Dispatcher.ts"
import { makeDispatcher } from "./Dispatcher.ts"
import type { NotificationLedger } from "./NotificationLedger.ts"
import { isNotifiable, wants } from "./Selector.ts"

export type NotifyConfig = Omit<DispatcherConfig, "leaseId">

const decodeEvent = Schema.decodeUnknownResult(Schema.fromJsonString(InstanceEvent))

export const runNotifications = (
  config: NotifyConfig,
  leaseId: string
): Effect.Effect<never, never, EtcdClient | NotificationLedger | HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const notifiers = new Map<string, StoredNotifier>()
    // The events are followed only once a notifier exists: an installation without one pays nothing.
    const first = yield* Deferred.make<void>()

    yield* informer<StoredNotifier>({ prefix: keys.notifiers, parse: parseStoredNotifier }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event._tag === "Upsert") {
            notifiers.set(event.key.slice(keys.notifiers.length), event.value)
            Deferred.doneUnsafe(first, Effect.void)
          } else if (event._tag === "Delete") notifiers.delete(event.key.slice(keys.notifiers.length))
        })
      ),
      Effect.forkScoped
    )
    yield* Deferred.await(first)

    const dispatcher = yield* makeDispatcher({ ...config, leaseId })
    yield* Effect.logInfo("notifications on").pipe(Effect.annotateLogs({ notifiers: notifiers.size }))
    return yield* informer({
      prefix: keys.events,
      parse: (_key, value) => {
        const decoded = decodeEvent(value)
        return Result.isSuccess(decoded) ? decoded.success : new Error(decoded.failure.message)
      }
    }).pipe(
      Stream.runForEach((change) =>
        Effect.gen(function*() {
          if (change._tag !== "Upsert" || !isNotifiable(change.value.reason)) return
          const event = change.value
          const rest = change.key.slice(keys.events.length)
          const slash = rest.indexOf("/")
          if (slash <= 0) return
          const subject = rest.slice(0, slash)
          const candidate = { reason: event.reason, lastTimestamp: event.lastTimestamp, labels: event.context?.labels }
          for (const notifier of notifiers.values()) {
            if (wants(notifier, candidate)) yield* dispatcher.offer({ notifier, subject, event })
          }
        })
      ),
      Effect.andThen(Effect.never)
    )
  })
