// The leader's notification queue (design.md §15): jobs go into a bounded queue and a few fibers
// deliver them, so nothing a reconcile does ever waits on a receiver. A full queue drops its
// oldest job (counted as result="dropped" and logged): the newest news is worth more, and the
// events stay in etcd for `mdeploy events` either way.
//
// Each job: claim its ledger key (a settled key means it was sent or given up on: done), render the
// payload once, sign it, send it with retries, settle the key with the outcome. A key claimed by
// another leader is waited on, up to `claimWait`: a dead leader's claim vanishes with its lease.
import { DateTime, Duration, Effect, Metric, Option, Queue, Schedule } from "effect"
import type { Scope } from "effect"
import { HttpClient } from "effect/http"
import { isHttpUrl } from "../domain/Notifier.ts"
import type { InstanceEvent } from "../events/InstanceEvent.ts"
import type { StoredNotifier } from "../store/NotifierStore.ts"
import type { DedupeKey, DeliveryRecord } from "./NotificationLedger.ts"
import { dedupeKeyOf, dedupeKeyText, NotificationLedger } from "./NotificationLedger.ts"
import { payloadOf, statusUrlOf } from "./Payload.ts"
import type { SendPolicy } from "./Sender.ts"
import { defaultSendPolicy, send } from "./Sender.ts"
import { signature, signatureHeader } from "./Signature.ts"

export const notificationsTotal = Metric.counter("mdeploy_notifications_total", {
  description: "Notifications by notifier and result (delivered, failed, dropped, error)",
  incremental: true
})

export type NotificationResult = "delivered" | "failed" | "dropped" | "error"

const count = (notifier: string, result: NotificationResult) =>
  Metric.update(Metric.withAttributes(notificationsTotal, { notifier, result }), 1)

export interface Job {
  readonly notifier: StoredNotifier
  /** The instance, or `gitsource:<name>`. */
  readonly subject: string
  readonly event: InstanceEvent
}

export interface DispatcherConfig {
  /** The controller's environment: urlEnv and secretEnv are read here, at send time. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The status page's external base URL, for links. */
  readonly statusUrl: string | undefined
  /** Who claims (host/pid). */
  readonly holder: string
  /** The leadership term's lease: claims die with it. */
  readonly leaseId: string
  readonly policy?: SendPolicy
  readonly capacity?: number
  readonly concurrency?: number
  readonly claimWait?: Duration.Input
}

export const defaultCapacity = 1_000
const defaultConcurrency = 4

export const makeDispatcher = (config: DispatcherConfig): Effect.Effect<
  { readonly offer: (job: Job) => Effect.Effect<void> },
  never,
  NotificationLedger | HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const ledger = yield* NotificationLedger
    const client = yield* HttpClient.HttpClient
    const capacity = config.capacity ?? defaultCapacity
    const claimWaitMs = Duration.toMillis(Duration.fromInputUnsafe(config.claimWait ?? "60 seconds"))
    const queue = yield* Queue.sliding<Job>(capacity)
    // Keys queued or being delivered here: an event seen again meanwhile is not queued twice.
    const pending = new Set<string>()

    const settle = (key: DedupeKey, token: string, record: DeliveryRecord) =>
      Effect.flatMap(ledger.settle(key, token, record), (kept) =>
        kept
          ? Effect.void
          : Effect.logWarning("notification claim lost before it was settled").pipe(Effect.annotateLogs({ key: dedupeKeyText(key) })))

    /**
     * Claims the key: its token, or undefined when it was settled already or is still held after
     * claimWait. Our own claim can only be left from an attempt of this job whose settle failed
     * (etcd away): it stays until our lease ends, and then the next leader sends again.
     */
    const claim = (key: DedupeKey) =>
      Effect.gen(function*() {
        for (let waited = 0;; waited += 1_000) {
          const claimed = yield* ledger.claim(key, config.holder, config.leaseId)
          if (claimed._tag === "Claimed") {
            return claimed.token
          }
          if (claimed.record.state !== "claimed") {
            yield* ledger.touch(key)
            return undefined
          }
          if (waited >= claimWaitMs || claimed.record.by === config.holder) {
            yield* Effect.logWarning("notification still claimed; left to its holder").pipe(
              Effect.annotateLogs({ key: dedupeKeyText(key), by: claimed.record.by })
            )
            return undefined
          }
          yield* Effect.sleep("1 second")
        }
      })

    const deliver = (job: Job, key: DedupeKey) =>
      Effect.gen(function*() {
        const name = job.notifier.metadata.name
        const token = yield* claim(key)
        if (token === undefined) return
        const spec = job.notifier.spec
        const url = spec.url ?? (spec.urlEnv === undefined ? undefined : config.env[spec.urlEnv])
        const secret = spec.secretEnv === undefined ? undefined : config.env[spec.secretEnv]
        const problem = url === undefined
          ? `environment variable ${spec.urlEnv ?? "?"} is not set`
          : !isHttpUrl(url)
          ? `${spec.urlEnv === undefined ? "url" : `$${spec.urlEnv}`} is not an http(s) URL`
          : spec.secretEnv !== undefined && secret === undefined
          ? `environment variable ${spec.secretEnv} is not set`
          : undefined
        const at = DateTime.formatIso(yield* DateTime.now)
        if (problem !== undefined || url === undefined) {
          yield* settle(key, token, { state: "failed", by: config.holder, at, attempts: 0, error: problem ?? "no URL" })
          yield* count(name, "failed")
          return yield* Effect.logWarning("notification not sent").pipe(
            Effect.annotateLogs({ notifier: name, key: dedupeKeyText(key), error: problem })
          )
        }
        const event = job.event
        const body = payloadOf(spec.format, {
          notifier: name,
          subject: job.subject,
          generation: key.generation,
          type: event.type,
          reason: event.reason,
          message: event.message,
          count: event.count,
          firstTimestamp: event.firstTimestamp,
          lastTimestamp: event.lastTimestamp,
          appId: event.context?.appId,
          traceId: event.traceId,
          revision: event.context?.revision,
          statusUrl: statusUrlOf(config.statusUrl, job.subject)
        })
        const headers: Record<string, string> = {
          "user-agent": "mdeploy",
          // Stable across retries and leaders: a receiver can drop the rare duplicate of at-least-once.
          "x-mdeploy-delivery": dedupeKeyText(key),
          ...(secret === undefined ? {} : { [signatureHeader]: signature(secret, body) })
        }
        const result = yield* send(client, url, body, headers, config.policy ?? defaultSendPolicy)
        const settledAt = DateTime.formatIso(yield* DateTime.now)
        if (result._tag === "Delivered") {
          yield* settle(key, token, { state: "delivered", by: config.holder, at: settledAt, attempts: result.attempts })
          yield* count(name, "delivered")
        } else {
          yield* settle(key, token, { state: "failed", by: config.holder, at: settledAt, attempts: result.attempts, error: result.message })
          yield* count(name, "failed")
          yield* Effect.logWarning("notification failed").pipe(
            Effect.annotateLogs({ notifier: name, key: dedupeKeyText(key), attempts: result.attempts, error: result.message })
          )
        }
      }).pipe(
        // etcd away: try the job again a few times, then count it as an error (the event stays in etcd).
        Effect.retry({ times: 3, schedule: Schedule.spaced("2 seconds") }),
        Effect.catch((error) =>
          count(job.notifier.metadata.name, "error").pipe(
            Effect.andThen(
              Effect.logWarning("notification not recorded").pipe(Effect.annotateLogs({ key: dedupeKeyText(key), error: error.oneLine }))
            )
          )
        ),
        Effect.ensuring(Effect.sync(() => pending.delete(dedupeKeyText(key))))
      )

    for (let worker = 0; worker < (config.concurrency ?? defaultConcurrency); worker++) {
      yield* Queue.take(queue).pipe(
        Effect.flatMap((job) => deliver(job, dedupeKeyOf(job.notifier.metadata.name, job.subject, job.event))),
        Effect.forever,
        Effect.forkScoped
      )
    }

    const offer = (job: Job) =>
      Effect.gen(function*() {
        const text = dedupeKeyText(dedupeKeyOf(job.notifier.metadata.name, job.subject, job.event))
        if (pending.has(text)) return
        if ((yield* Queue.size(queue)) >= capacity) {
          const oldest = yield* Queue.poll(queue)
          if (Option.isSome(oldest)) {
            const dropped = oldest.value
            pending.delete(dedupeKeyText(dedupeKeyOf(dropped.notifier.metadata.name, dropped.subject, dropped.event)))
            yield* count(dropped.notifier.metadata.name, "dropped")
            yield* Effect.logWarning("notification queue full: the oldest notification was dropped").pipe(
              Effect.annotateLogs({
                capacity,
                notifier: dropped.notifier.metadata.name,
                subject: dropped.subject,
                reason: dropped.event.reason
              })
            )
          }
        }
        pending.add(text)
        yield* Queue.offer(queue, job)
      })

    return { offer }
  })
