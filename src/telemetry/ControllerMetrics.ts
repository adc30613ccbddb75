// The controller's metrics, defined with Effect's Metric module so that recording them needs no
// OpenTelemetry code: Telemetry.ts exports whatever is recorded. Names follow controller-runtime
// (spec/controller-anchors.md §1.5) with an `mdeploy_` prefix so existing panels carry over.
// The work-queue set lives with the queue (controller/WorkQueue.ts) and is not repeated here.
// This module must never import `@opentelemetry/*`: the CLI loads it on every command.
import type { Context } from "effect"
import { Effect, Metric } from "effect"
import { labelledCounter, labelledHistogram } from "./internal/attributedMetric.ts"

/** How a reconcile ended; the `result` label of `mdeploy_reconcile_total`. */
export type ReconcileResult = "success" | "error" | "requeue_after" | "lock_held"
export const reconcileResults: ReadonlyArray<ReconcileResult> = ["success", "error", "requeue_after", "lock_held"]

// Seconds. A reconcile is a few etcd and Marathon round trips, a slow one waits on a drain probe
// or a locked app; a Marathon call is one round trip with its retries.
const reconcileBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const requestBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

const reconcileTotals = labelledCounter("mdeploy_reconcile_total", { description: "Reconciles by result", incremental: true })
export const reconcileTotal = reconcileTotals.metric
export const reconcileErrors = Metric.counter("mdeploy_reconcile_errors_total", {
  description: "Reconciles that ended in an error",
  incremental: true
})
export const terminalReconcileErrors = Metric.counter("mdeploy_terminal_reconcile_errors_total", {
  description: "Reconciles that ended in an error retrying cannot fix (invalid spec)",
  incremental: true
})
const reconcileDurations = labelledHistogram("mdeploy_reconcile_duration_seconds", {
  description: "Seconds per reconcile, by result",
  boundaries: reconcileBoundaries
})
export const reconcileDuration = reconcileDurations.metric
const marathonRequestCounts = labelledCounter("mdeploy_marathon_requests_total", {
  description: "Marathon HTTP calls by route and status",
  incremental: true
})
export const marathonRequests = marathonRequestCounts.metric
const marathonRequestDurations = labelledHistogram("mdeploy_marathon_request_duration_seconds", {
  description: "Seconds per Marathon HTTP call, by route",
  boundaries: requestBoundaries
})
export const marathonRequestDuration = marathonRequestDurations.metric
const marathonRequestRetryCounts = labelledCounter("mdeploy_marathon_request_retries_total", {
  description: "Retried Marathon HTTP calls by route",
  incremental: true
})
export const marathonRequestRetries = marathonRequestRetryCounts.metric
export const marathonUntrustedAnswers = Metric.counter("mdeploy_marathon_untrusted_answers_total", {
  description:
    "Marathon answers not acted upon because they contradicted what was known (empty or shrunken lists, apps without their tasks, unconfirmed kills and deletes)"
})

/** Counts one answer that was not acted upon, by reason. */
export const recordUntrustedAnswer = (reason: string): Effect.Effect<void> =>
  Metric.update(Metric.withAttributes(marathonUntrustedAnswers, { reason }), 1)

export const marathonEventStreamReconnects = Metric.counter("mdeploy_marathon_event_stream_reconnects_total", {
  description: "Marathon /v2/events connections reopened, by why the previous one ended",
  incremental: true
})
export const activeWorkers = Metric.gauge("mdeploy_active_workers", {
  description: "Workers reconciling a key right now"
})
export const maxConcurrentReconciles = Metric.gauge("mdeploy_max_concurrent_reconciles", {
  description: "Configured number of workers"
})
// Same name and description as store/Leadership.ts: Effect keys a series by type, name,
// description and attributes, so both definitions update one series.
export const leaderStatus = Metric.gauge("leader_election_master_status", {
  description: "1 while this process is the mdeploy controller leader"
})

/** Counts one finished reconcile and its duration; errors also count in the error totals. */
export const recordReconcile = (
  result: ReconcileResult,
  seconds: number,
  options: { readonly terminal?: boolean | undefined } = {}
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const attributes = { result }
    yield* Metric.update(reconcileTotals.of(attributes), 1)
    yield* Metric.update(reconcileDurations.of(attributes), seconds)
    if (result !== "error") return
    yield* Metric.update(reconcileErrors, 1)
    if (options.terminal === true) yield* Metric.update(terminalReconcileErrors, 1)
  })

/**
 * Counts passes that ended Done, each with its duration, in one go: a resync settles thousands of
 * idle keys at once, and one `recordReconcile` effect per key was a visible part of its cost.
 */
export const recordDoneReconciles = (seconds: ReadonlyArray<number>): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) =>
    Effect.sync(() => {
      if (seconds.length === 0) return
      const attributes = { result: "success" }
      reconcileTotals.of(attributes).updateUnsafe(seconds.length, context)
      const duration = reconcileDurations.of(attributes)
      for (const each of seconds) duration.updateUnsafe(each, context)
    })
  )

/**
 * Counts one Marathon HTTP call. `route` is the method and path template
 * ("GET /v2/apps/{id}"), never the concrete path, to keep the series few; `status` is the HTTP
 * status, or "error" when no answer came (connection refused, timeout).
 */
export const recordMarathonRequest = (
  route: string,
  status: number | "error",
  seconds: number
): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* Metric.update(marathonRequestCounts.of({ route, status: String(status) }), 1)
    yield* Metric.update(marathonRequestDurations.of({ route }), seconds)
  })

/** Counts one retry of a Marathon call (the retry itself is a span event on the call). */
export const recordMarathonRetry = (route: string): Effect.Effect<void> => Metric.update(marathonRequestRetryCounts.of({ route }), 1)

/**
 * Why an event-stream connection is reopened: it went silent past the silence timeout, broke
 * (reset, decode error), was closed by Marathon, or could not be opened at all.
 */
export type EventStreamReconnectReason = "silence" | "error" | "closed" | "connect_failed"

/** Counts one reopening of the Marathon event stream. */
export const recordEventStreamReconnect = (reason: EventStreamReconnectReason): Effect.Effect<void> =>
  Metric.update(Metric.withAttributes(marathonEventStreamReconnects, { reason }), 1)

/** Runs `effect` counted in `mdeploy_active_workers`, decremented however it ends. */
export const withActiveWorker = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(Metric.modify(activeWorkers, 1), () => effect, () => Metric.modify(activeWorkers, -1))

/**
 * Publishes zeroes for every reconcile result and the worker gauges, so that rates and alerts
 * work from the first scrape instead of after the first error (controller-runtime does the same).
 */
export const initialize = (workers: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (const result of reconcileResults) {
      yield* Metric.update(Metric.withAttributes(reconcileTotal, { result }), 0)
    }
    yield* Metric.update(reconcileErrors, 0)
    yield* Metric.update(terminalReconcileErrors, 0)
    yield* Metric.update(maxConcurrentReconciles, workers)
    // modify by 0, not update: creates the series without resetting a count already running.
    yield* Metric.modify(activeWorkers, 0)
  })
