// The controller's workers (design.md §4): each takes a key from the work queue, runs one pass
// through the Reconciler service and hands the outcome back to the queue (requeue after, back off,
// forget, or wait for the next event). The queue, not the worker, keeps a key from running twice
// at once; leadership loss interrupts the workers from outside, pass in flight included.
import { Clock, Duration, Effect, Option } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import * as ControllerMetrics from "../telemetry/ControllerMetrics.ts"
import type { Outcome } from "./Outcome.ts"
import { requeue } from "./Outcome.ts"
import { Reconciler } from "./Reconciler.ts"
import type { WorkQueue } from "./WorkQueueContract.ts"

export interface WorkersConfig {
  readonly queue: WorkQueue
  readonly workers: number
  /**
   * Per key, the instant (epoch ms) Marathon's state must be from for its next pass: raised by
   * Marathon's events, and by the workers when a key comes back later.
   */
  readonly freshAfter: Map<string, number>
  /**
   * Completes when passes may begin: the controller's is its caches having listed specs,
   * statuses and drain records (client-go's WaitForCacheSync). Until then keys wait in the queue.
   */
  readonly ready?: Effect.Effect<void>
}

/** How long passes in flight may run on once the workers are told to stop. */
export const shutdownGrace = Duration.seconds(1)

const outcomeMetric = (outcome: Outcome): ControllerMetrics.ReconcileResult => {
  switch (outcome._tag) {
    case "Done":
      return "success"
    case "RequeueAfter":
      return "requeue_after"
    case "LockHeld":
      return "lock_held"
    case "Failed":
      return "error"
  }
}

/**
 * What follows a pass, whoever ran it (a worker, or a resync settling an idle key itself): its
 * metrics, a log line for a retryable failure, and the queue told what comes next.
 */
export const makeAfterPass = (config: Pick<WorkersConfig, "queue" | "freshAfter">) =>
  Effect.fnUntraced(function*(name: string, outcome: Outcome, seconds: number) {
    const terminal = outcome._tag === "Failed" && outcome.terminal
    yield* ControllerMetrics.recordReconcile(outcomeMetric(outcome), seconds, { terminal })
    if (outcome._tag === "Failed" && !terminal) {
      yield* Effect.logWarning("reconcile failed").pipe(Effect.annotateLogs({ instance: name, error: outcome.message }))
    }
    // A pass that comes back looks at Marathon as it is then, not at the snapshot it left.
    const dueAt = yield* requeue(config.queue, name, outcome)
    if (dueAt !== undefined) config.freshAfter.set(name, Math.max(config.freshAfter.get(name) ?? 0, dueAt))
  })

/**
 * `makeAfterPass` for many passes that ended Done (a resync's idle keys), in one go: counted as
 * successes, their backoffs forgotten; nothing is queued (they wait for the next event).
 */
export const makeAfterDonePasses =
  (config: Pick<WorkersConfig, "queue">) => (names: ReadonlyArray<string>, seconds: ReadonlyArray<number>) =>
    Effect.andThen(
      ControllerMetrics.recordDoneReconciles(seconds),
      Effect.forEach(names, (name) => config.queue.forget(name), { discard: true })
    )

/** Forks `workers` fibers into the caller's scope; they run until the queue shuts down or the scope closes. */
export const runWorkers = (config: WorkersConfig) =>
  Effect.gen(function*() {
    const reconciler = yield* Reconciler
    const afterPass = makeAfterPass(config)
    const handle = (name: string) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const outcome = yield* reconciler.reconcile(name as InstanceName, { notBefore: config.freshAfter.get(name) ?? 0 })
        yield* afterPass(name, outcome, ((yield* Clock.currentTimeMillis) - started) / 1000)
      })

    yield* ControllerMetrics.initialize(config.workers)
    for (let worker = 0; worker < config.workers; worker++) {
      yield* config.queue.processNext((name) => ControllerMetrics.withActiveWorker(handle(name))).pipe(
        Effect.repeat({ while: Option.isSome }),
        (work) => config.ready === undefined ? work : Effect.andThen(config.ready, work),
        Effect.forkScoped
      )
    }
    // On the way out (leadership lost or shutdown): no new keys; passes in flight get a moment to
    // end on their own (their writes are refused by the lease gate by now), then are interrupted.
    yield* Effect.addFinalizer(() => config.queue.shutdownWithDrain(shutdownGrace).pipe(Effect.asVoid))
  })
