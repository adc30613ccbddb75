// The controller's queue of instance keys, with client-go's contract. Fair: FIFO within a priority,
// every edit before any event, every event before any low key, and while an edit or an event
// runs, low keys wait (up to `lowHold`).
// Stingy: a key is never handed to two workers at once, and adding a key that is already waiting
// does nothing. Lossless: a key added while it is being processed is queued again, exactly once,
// when that run is `done`. Also delayed and rate-limited re-adds, a drainable shutdown and
// client-go's metric set. Time only through Clock, so TestClock drives every delay; backoff and
// token-bucket arithmetic are pure, in internal/, beside the delayed re-adds (delayedAdds.ts).
//
//   make(options?) → Effect<WorkQueue, never, Scope>   (shut down when the scope closes)
//   add · addAfter · addRateLimited · forget · numRequeues       producers and retry policy
//   get · done · processNext                                     workers
//   shutdown · shutdownWithDrain · isShuttingDown · len · snapshot
import type { Scope } from "effect"
import { Clock, Deferred, Duration, Effect, Exit, Metric, Option } from "effect"
import * as Backoff from "./internal/backoff.ts"
import * as Bucket from "./internal/tokenBucket.ts"
import { dequeue, enqueue, makeFifo } from "./internal/keyFifo.ts"
import { makeDelayedAdds } from "./internal/delayedAdds.ts"
import { metrics } from "./internal/workQueueMetrics.ts"

import type { Priority, WorkQueue, WorkQueueOptions } from "./WorkQueueContract.ts"
import { defaults, priorityRank } from "./WorkQueueContract.ts"
export type { Priority, WorkQueue, WorkQueueOptions, WorkQueueSnapshot } from "./WorkQueueContract.ts"
export { defaults } from "./WorkQueueContract.ts"

// The two age gauges change with time, not with events, so they are recomputed on a timer as
// client-go does (and on every snapshot); otherwise a stuck reconcile would look idle.
const gaugeRefresh = Duration.millis(500)

interface Pending {
  priority: Priority
  readonly addedAt: number
}
interface InFlight {
  readonly priority: Priority
  readonly startedAt: number
}
const toMillis = (input: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(input))

export const make = Effect.fnUntraced(function*(
  options?: WorkQueueOptions
): Effect.fn.Return<WorkQueue, never, Scope.Scope> {
  const name = options?.name ?? defaults.name
  const backoff = Backoff.validateBackoff({
    baseMillis: toMillis(options?.baseDelay ?? defaults.baseDelay),
    maxMillis: toMillis(options?.maxDelay ?? defaults.maxDelay)
  })
  const bucketConfig = Bucket.validateConfig({
    ratePerSecond: options?.retryQps ?? defaults.retryQps,
    burst: options?.retryBurst ?? defaults.retryBurst
  })
  const lowHoldMillis = toMillis(options?.lowHold ?? defaults.lowHold)
  const clock = yield* Clock.Clock
  // Metrics are updated synchronously from inside the queue's critical sections, against the
  // registry and attributes current when the queue was made.
  const context = yield* Effect.context<never>()
  const attributes = { name }
  const depthGauge = Metric.withAttributes(metrics.depth, attributes)
  const addsCounter = Metric.withAttributes(metrics.adds, attributes)
  const queueDuration = Metric.withAttributes(metrics.queueDuration, attributes)
  const workDuration = Metric.withAttributes(metrics.workDuration, attributes)
  const unfinishedGauge = Metric.withAttributes(metrics.unfinished, attributes)
  const longestGauge = Metric.withAttributes(metrics.longest, attributes)
  const retriesCounter = Metric.withAttributes(metrics.retries, attributes)

  // All state is plain and mutated only inside synchronous sections, which fibers never
  // interleave. Invariants: a queued key is in `dirty`; a key is in at most one of edits, high, low
  // and processing; a dirty key in processing ("parked") is in no queue until its `done`.
  const edits = makeFifo()
  const high = makeFifo()
  const low = makeFifo()
  const dirty = new Map<string, Pending>()
  const processing = new Map<string, InFlight>()
  const failures = new Map<string, number>()
  const waiters = new Set<() => void>()
  let bucket = Bucket.full(bucketConfig, clock.currentTimeMillisUnsafe())
  let seq = 0
  // Runs of edits and events in processing, and when the last low run started: see `lowHeldFor`.
  let highRuns = 0
  let lowStartedAt = Number.NEGATIVE_INFINITY
  let shuttingDown = false
  let drained: Deferred.Deferred<void> | undefined
  let addsTotal = 0
  let retriesTotal = 0

  // Resync work done beside the queue (ResyncSweep.ts) waiting in `lowTurn` for the last high run.
  const lowTurnWaiters = new Set<() => void>()

  const queueOf = (priority: Priority) => (priority === "edit" ? edits : priority === "high" ? high : low)
  const waiting = () => edits.live.size + high.live.size + low.live.size

  // One wake-up per queued key; each woken getter looks again, so a stolen key costs nothing.
  const wakeOne = () => {
    for (const waiter of waiters) {
      waiters.delete(waiter)
      return waiter()
    }
  }

  // client-go's Add, plus priorities. `addedAt` is kept from the first add only, so the queue
  // duration measures how long the oldest unserved request for this key has waited.
  const addNow = (key: string, priority: Priority): void => {
    if (shuttingDown) return
    const pending = dirty.get(key)
    if (pending !== undefined) {
      if (priorityRank(priority) > priorityRank(pending.priority)) {
        // Waiting lower: move to the back of its new queue. Parked: `done` will queue it there.
        if (queueOf(pending.priority).live.delete(key)) enqueue(queueOf(priority), key, ++seq)
        pending.priority = priority
      }
      return
    }
    dirty.set(key, { priority, addedAt: clock.currentTimeMillisUnsafe() })
    addsTotal++
    addsCounter.updateUnsafe(1, context)
    depthGauge.updateUnsafe(dirty.size, context)
    // Being processed: queuing it now could hand it to a second worker. `done` queues it.
    if (processing.has(key)) return
    enqueue(queueOf(priority), key, ++seq)
    wakeOne()
  }

  const delayed = makeDelayedAdds(clock, addNow)

  // How long a waiting low key must still wait (0: it may start now). While an edit or an event is
  // being processed, resync work would share the event loop with it: every round trip of the
  // edit's pass would wait behind other passes. So lows start at most once per hold meanwhile;
  // they still move when highs never stop coming (a mass rollout's events). An edit or event
  // queued and not yet taken counts too: its worker is woken, but runs only on a later turn.
  const highWork = () => highRuns > 0 || edits.live.size > 0 || high.live.size > 0
  const lowHeldFor = (now: number): number => shuttingDown || !highWork() ? 0 : Math.max(0, lowStartedAt + lowHoldMillis - now)

  const noHighRun = Effect.callback<void>((resume) => {
    const wake = () => resume(Effect.void)
    lowTurnWaiters.add(wake)
    return Effect.sync(() => void lowTurnWaiters.delete(wake))
  })

  // A turn of low work outside the queue counts as a low start, so it shares the hold with low keys.
  const lowTurn: Effect.Effect<void> = Effect.suspend(() => {
    const now = clock.currentTimeMillisUnsafe()
    const held = lowHeldFor(now)
    if (held === 0) {
      lowStartedAt = now
      return Effect.void
    }
    return Effect.andThen(Effect.raceFirst(noHighRun, Effect.sleep(held)), lowTurn)
  })

  // undefined: nothing to take yet; null: shut down and empty.
  const tryTake = (): string | null | undefined => {
    const now = clock.currentTimeMillisUnsafe()
    const key = dequeue(edits) ?? dequeue(high) ?? (lowHeldFor(now) > 0 ? undefined : dequeue(low))
    if (key === undefined) return shuttingDown ? null : undefined
    const pending = dirty.get(key)!
    dirty.delete(key)
    processing.set(key, { priority: pending.priority, startedAt: now })
    if (pending.priority !== "low") highRuns++
    else lowStartedAt = now
    queueDuration.updateUnsafe((now - pending.addedAt) / 1000, context)
    depthGauge.updateUnsafe(dirty.size, context)
    return key
  }

  const doneNow = (key: string): void => {
    const run = processing.get(key)
    // A stray done (twice, or for a key never taken) must not queue a key that is already
    // waiting a second time, which client-go's Done would do.
    if (run === undefined) return
    processing.delete(key)
    // The last high run over: every low key held back may go.
    if (run.priority !== "low" && --highRuns === 0) {
      for (let held = low.live.size; held > 0 && waiters.size > 0; held--) wakeOne()
      for (const wake of lowTurnWaiters) wake()
      lowTurnWaiters.clear()
    }
    workDuration.updateUnsafe((clock.currentTimeMillisUnsafe() - run.startedAt) / 1000, context)
    // Added during the run: this is the one extra run that makes edits during reconcile safe.
    const pending = dirty.get(key)
    if (pending !== undefined) {
      enqueue(queueOf(pending.priority), key, ++seq)
      wakeOne()
    }
    if (drained !== undefined && processing.size === 0) Deferred.doneUnsafe(drained, Exit.void)
  }

  // client-go's AddAfter: every call counts as a retry, whatever its delay, so
  // `workqueue_retries_total` means the same on our dashboards as on Kubernetes ones.
  const addAfterNow = (key: string, delayMillis: number, priority: Priority): void => {
    if (shuttingDown) return
    retriesTotal++
    retriesCounter.updateUnsafe(1, context)
    if (!(delayMillis > 0)) return addNow(key, priority)
    // "Never" is not a delay; keeping it would hold the key in `delayed` forever.
    if (!Number.isFinite(delayMillis)) return
    delayed.schedule(key, clock.currentTimeMillisUnsafe() + delayMillis, priority)
  }

  const refreshGauges = () => {
    const now = clock.currentTimeMillisUnsafe()
    let unfinished = 0
    let longest = 0
    for (const run of processing.values()) {
      const age = (now - run.startedAt) / 1000
      unfinished += age
      if (age > longest) longest = age
    }
    unfinishedGauge.updateUnsafe(unfinished, context)
    longestGauge.updateUnsafe(longest, context)
    depthGauge.updateUnsafe(dirty.size, context)
    return { unfinished, longest }
  }

  // Pending delays are dropped as client-go's delaying queue does: after a shutdown (leader
  // lost, process stopping) the next leader relists every key anyway.
  const shutdownNow = () => {
    if (shuttingDown) return
    shuttingDown = true
    delayed.clear()
    const all = Array.from(waiters)
    waiters.clear()
    for (const waiter of all) waiter()
  }

  // Getters are woken, not handed a key: a woken fiber takes from the queue itself, so a key is
  // never assigned to a fiber that might be interrupted before it runs.
  // Waiting is the only interruptible part of taking a key: the take itself and the hand-over to
  // `use` happen with interruption masked, so a key cannot be moved to processing and then lost.
  const awaitWork = Effect.callback<void>((resume) => {
    const waiter = () => resume(Effect.void)
    waiters.add(waiter)
    return Effect.sync(() => {
      waiters.delete(waiter)
    })
  })
  // A getter woken and then interrupted before it looked passes the wake-up on.
  const passWakeOn = () =>
    Effect.sync(() => {
      if (waiting() > 0) wakeOne()
    })
  type Restore = <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>
  const nextKey = <A, E, R>(
    use: (key: string | null, restore: Restore) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) => {
      const loop: Effect.Effect<A, E, R> = Effect.suspend(() => {
        const key = tryTake()
        if (key !== undefined) return use(key, restore)
        // Low keys held back: look again when the hold ends, if no wake-up comes first.
        const held = low.live.size === 0 ? 0 : lowHeldFor(clock.currentTimeMillisUnsafe())
        const wait = held === 0 ? awaitWork : Effect.raceFirst(awaitWork, Effect.sleep(Duration.millis(held)))
        return Effect.flatMap(restore(wait), () => loop)
      })
      return Effect.onInterrupt(loop, passWakeOn)
    })

  // `get` itself cannot protect the key once it has returned it: a caller interrupted between
  // `get` and `done` leaves the key in processing. Workers should use `processNext`.
  const get = nextKey((key) => Effect.succeed(key === null ? Option.none<string>() : Option.some(key)))

  const processNext = <A, E, R>(handler: (key: string) => Effect.Effect<A, E, R>) =>
    nextKey((key, restore): Effect.Effect<Option.Option<A>, E, R> =>
      key === null
        ? Effect.succeedNone
        : restore(handler(key)).pipe(
          Effect.map(Option.some),
          Effect.ensuring(Effect.sync(() => doneNow(key)))
        )
    )

  // Requeues decided during a run keep the priority the key was taken at (controller-runtime).
  const priorityFor = (key: string, priority: Priority | undefined): Priority => priority ?? processing.get(key)?.priority ?? "high"

  const addRateLimited = Effect.fn("WorkQueue.addRateLimited")(function*(
    key: string,
    priority?: Priority
  ): Effect.fn.Return<Duration.Duration> {
    const count = failures.get(key) ?? 0
    const step = Backoff.recordFailure(count, backoff)
    failures.set(key, step.failures)
    // Both limits are charged, as client-go's max-of limiter does; the slower one decides.
    const reservation = Bucket.reserve(bucket, bucketConfig, clock.currentTimeMillisUnsafe())
    bucket = reservation.bucket
    const delayMillis = Math.max(step.delayMillis, reservation.waitMillis)
    addAfterNow(key, delayMillis, priorityFor(key, priority))
    yield* Effect.annotateCurrentSpan({
      "mdeploy.instance": key,
      "mdeploy.requeues": step.failures,
      "mdeploy.delay_ms": delayMillis
    })
    return Duration.millis(delayMillis)
  })

  // As in client-go, "drained" means nothing in processing at one moment; keys still waiting then
  // are left for whoever calls `get` next (or for the next leader).
  const shutdownWithDrain = Effect.fn("WorkQueue.shutdownWithDrain")(function*(
    timeout: Duration.Input
  ): Effect.fn.Return<boolean> {
    shutdownNow()
    yield* Effect.annotateCurrentSpan({ "mdeploy.workqueue.in_flight": processing.size })
    if (processing.size === 0) return true
    drained ??= Deferred.makeUnsafe<void>()
    return Option.isSome(yield* Effect.timeoutOption(Deferred.await(drained), timeout))
  })

  yield* Effect.forkScoped(delayed.run)
  yield* Effect.forkScoped(Effect.sleep(gaugeRefresh).pipe(Effect.andThen(Effect.sync(refreshGauges)), Effect.forever))
  // Closing the scope releases every worker blocked in `get`.
  yield* Effect.addFinalizer(() => Effect.sync(shutdownNow))

  return {
    name,
    add: (key, priority = "high") => Effect.sync(() => addNow(key, priority)),
    addAfter: (key, delay, priority) => Effect.sync(() => addAfterNow(key, toMillis(delay), priorityFor(key, priority))),
    addRateLimited,
    forget: (key) => Effect.sync(() => void failures.delete(key)),
    numRequeues: (key) => Effect.sync(() => failures.get(key) ?? 0),
    get,
    done: (key) => Effect.sync(() => doneNow(key)),
    processNext,
    shutdown: Effect.sync(shutdownNow),
    shutdownWithDrain,
    isShuttingDown: Effect.sync(() => shuttingDown),
    pendingUnsafe: (key) => dirty.has(key) || processing.has(key),
    lowTurn,
    len: Effect.sync(waiting),
    snapshot: Effect.sync(() => {
      const ages = refreshGauges()
      return {
        name,
        depth: dirty.size,
        waitingEdit: edits.live.size,
        waitingHigh: high.live.size,
        waitingLow: low.live.size,
        parked: dirty.size - waiting(),
        processing: processing.size,
        delayed: delayed.size(),
        addsTotal,
        retriesTotal,
        unfinishedWorkSeconds: ages.unfinished,
        longestRunningProcessorSeconds: ages.longest,
        shuttingDown
      }
    })
  }
})
