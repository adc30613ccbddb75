// The running controller (design.md §4): while this process leads, spec changes from the etcd
// informer, Marathon events and a periodic drift resync feed keys into one work queue (a resync
// settles idle keys itself, ResyncSweep.ts); N workers take keys and run one reconcile pass each,
// under the instance lock. Leadership loss interrupts everything at once (before the lease could
// pass to a successor). A standby only keeps its caches of specs, statuses and drain records
// current (as controller-runtime's caches run outside leader election): a new leader starts with
// them listed, and needs only Marathon's list before its first resync.
import { Clock, Duration, Effect, Queue, Stream } from "effect"
import type { Scope } from "effect"
import type { HttpClient } from "effect/http"
import { instanceNameOf } from "../domain/AppIdentity.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { MarathonShards } from "../marathon/MarathonShards.ts"
import type { MarathonEventsConfig } from "../marathon/MarathonEvents.ts"
import { marathonEvents } from "../marathon/MarathonEvents.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import type { SyncContext } from "../gitops/GitSync.ts"
import { runGitOps } from "../gitops/GitOpsLoop.ts"
import type { NotificationLedger } from "../notify/NotificationLedger.ts"
import type { NotifyConfig } from "../notify/NotifierLoop.ts"
import { runNotifications } from "../notify/NotifierLoop.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { GitSourceStore } from "../store/GitSourceStore.ts"
import type { Leader, Leadership } from "../store/Leadership.ts"
import { runAsLeader } from "../store/Leadership.ts"
import { SpecStore } from "../store/SpecStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import { Executor } from "./Executor.ts"
import { makeManagedCount } from "./ManagedCount.ts"
import { makeMarathonSnapshot } from "./MarathonSnapshot.ts"
import { cachedStores } from "./CachedStores.ts"
import type { StateCache, StateCacheEvents } from "./StateCache.ts"
import { makeStateCache } from "./StateCache.ts"
import { Reconciler } from "./Reconciler.ts"
import { makeAfterDonePasses, makeAfterPass, runWorkers } from "./Workers.ts"
import { sweepResync } from "./ResyncSweep.ts"
import { makeRollouts } from "./Rollouts.ts"
import type { Workload } from "./Workload.ts"
import { watchWorkload } from "./Workload.ts"
import * as WorkQueue from "./WorkQueue.ts"

export interface ControllerConfig {
  /** host/pid: written into the leader and lock keys. */
  readonly identity: string
  readonly workers: number
  readonly leaderTtlSeconds: number
  /** Every key is reconciled at least this often, events or not (drift from out-of-band changes). */
  readonly resyncEvery: Duration.Duration
  /** Lift the deletion budget for this run (an empty spec set, or more than the budget's share). */
  readonly force: boolean
  /** The deletion budget's window and share (design.md §11); the force flag above overrides it. */
  readonly cleanupWindow?: Duration.Duration
  readonly cleanupMaxFraction?: number
  /** The event stream's settings; its URLs are the default shard's, unless `eventShards` is given. */
  readonly events: MarathonEventsConfig
  /** One event stream per Marathon shard (its own URLs, reconnects and silence timeout). */
  readonly eventShards?: ReadonlyArray<{ readonly name: string; readonly urls: ReadonlyArray<string> }>
  /** Minimum gap between two Marathon list calls. */
  readonly snapshotMinIntervalMs?: number
  /** GitSource syncing (design.md §12); absent: this controller syncs no GitSources. */
  readonly gitops?: SyncContext
  /** Notifier deliveries (design.md §15); absent: this controller sends no notifications. */
  readonly notify?: NotifyConfig
  /**
   * Told "filling" when a leadership term starts (it lists Marathon, and its caches may still be
   * filling), "settled" once that term's first resync sweep is over, and then "busy" and
   * "settled" as bursts of work come and go (Workload.ts): the composition root tunes the heap
   * for each (ControllerHeap.ts).
   */
  readonly onWorkload?: (workload: Workload) => Effect.Effect<void>
}

export const defaultResyncEvery = Duration.minutes(3)

/** The process's caches, and where their events go: to the term that listens, if any. */
interface SharedCaches {
  readonly state: StateCache
  /** Sends the caches' events to `events` until the scope closes (one term at a time). */
  readonly listen: (events: StateCacheEvents) => Effect.Effect<void, never, Scope.Scope>
}

/** What one leadership term runs: event stream, resync timer and workers, over the shared caches. */
const lead = (config: ControllerConfig, leader: Leader, caches: SharedCaches) =>
  Effect.gen(function*() {
    const workload = config.onWorkload ?? (() => Effect.void)
    yield* workload("filling")
    const queue = yield* WorkQueue.make({ name: "mdeploy" })
    const snapshot = yield* makeMarathonSnapshot(
      config.snapshotMinIntervalMs === undefined ? {} : { minIntervalMs: config.snapshotMinIntervalMs }
    )
    // How fresh each key's view of Marathon must be: an event says Marathon changed, so its pass
    // needs state from after it (fetched for that instance alone). An edit changes the spec, not
    // Marathon: the shared snapshot serves it unless an event or this controller's own writes
    // (MarathonSnapshot.written) came after that snapshot; anything beyond a create is read again
    // under the lock anyway (Reconciler.ts). Resync work takes the shared snapshot (0 = any).
    const freshAfter = new Map<string, number>()
    const needFresh = (name: string, at: number) => freshAfter.set(name, Math.max(freshAfter.get(name) ?? 0, at))

    const enqueue = (name: string, priority: WorkQueue.Priority) =>
      Effect.gen(function*() {
        if (priority === "high") needFresh(name, yield* Clock.currentTimeMillis)
        yield* queue.add(name, priority)
      })

    const state = caches.state
    // The spec names are meaningful once listed; a resync asked for before then waits for them (below).
    const allKeys = Effect.gen(function*() {
      const latest = yield* snapshot.latest
      return new Set<string>([...state.specNames(), ...(latest?.byInstance.keys() ?? [])])
    })
    // Asks for a resync sweep (below): one runs at a time, and asks made meanwhile are one more.
    const resyncs = yield* Queue.sliding<void>(1)
    const resyncAll = Effect.asVoid(Queue.offer(resyncs, undefined))

    // Desired state and status, watched: every spec change is a user edit, ahead of resync work;
    // after the first list and after every relist, everything is looked at again. Changes made
    // before this term listened are covered by its first resync (after Marathon's list, below).
    yield* caches.listen({
      onSpecChange: (name) => enqueue(name, "edit"),
      onSpecsListed: () => resyncAll
    })

    const managedNow = yield* makeManagedCount
    const reconciler = yield* Reconciler.make({
      rollouts: yield* makeRollouts,
      snapshot,
      session: leader.session,
      holder: config.identity,
      fences: [leader.fence],
      watched: state,
      budget: {
        windowMs: Duration.toMillis(config.cleanupWindow ?? Duration.minutes(10)),
        maxFraction: config.cleanupMaxFraction ?? 0.5,
        force: config.force
      },
      cleanupInput: Effect.gen(function*() {
        const specNames = new Set([...state.specNames(), ...state.invalidNames()])
        return {
          specNames,
          specsSynced: state.specsSynced() && state.statusesSynced(),
          // Counted from a full list taken now (ManagedCount.ts): only tear-down passes pay for it.
          managedInstances: yield* managedNow,
          force: config.force
        }
      })
      // Its passes read specs and statuses from the watch-fed cache, and write through it.
    }).pipe(Effect.provide(cachedStores(state)))

    // Observed state: a task or deployment change requeues its instance at once. One stream per
    // shard: a shard that is down reconnects on its own and holds up no other shard's events.
    const streams = (config.eventShards ?? [{ name: "default", urls: config.events.urls }]).map((shard) =>
      marathonEvents({ ...config.events, urls: shard.urls })
    )
    yield* Stream.mergeAll(streams, { concurrency: "unbounded" }).pipe(
      Stream.runForEach((event) =>
        Effect.gen(function*() {
          if (event._tag === "Reconnected") return yield* resyncAll
          const names = new Set<string>()
          for (const appId of event.appIds) {
            const name = instanceNameOf(appId)
            if (name !== undefined) names.add(name)
          }
          const latest = yield* snapshot.latest
          for (const deployment of event.deploymentIds) {
            for (const name of latest?.deployments.get(deployment) ?? []) names.add(name)
          }
          for (const name of names) yield* enqueue(name, "high")
        })
      ),
      Effect.forkScoped
    )

    // Drift: every key, every resyncEvery, from one fresh snapshot (which also finds orphans).
    yield* Effect.gen(function*() {
      yield* snapshot.get(yield* Clock.currentTimeMillis).pipe(Effect.ignore)
      yield* resyncAll
    }).pipe(
      Effect.andThen(Effect.sleep(config.resyncEvery)),
      Effect.forever,
      Effect.forkScoped
    )

    // GitSources are synced by the leader only; their specs reach the workers through the spec watch.
    if (config.gitops !== undefined) yield* runGitOps(config.gitops, [leader.fence]).pipe(Effect.forkScoped)
    // Notifications are sent by the leader only, behind a queue: a reconcile never waits on one.
    if (config.notify !== undefined) yield* runNotifications(config.notify, leader.session.leaseId).pipe(Effect.forkScoped)

    // No pass before specs, statuses and drain records are listed. A pass before that reads etcd
    // directly, at its newest revision, while the list still being taken is of an older one: a
    // later pass answered from the list could then act on a spec older than the one an earlier pass
    // acted on (seen: a new leader scaled an edited instance up, then killed the task it had just
    // started). A look before the drain records are in reads them from etcd without the lock.
    yield* runWorkers({ queue, workers: config.workers, freshAfter, ready: state.synced }).pipe(
      Effect.provideService(Reconciler, reconciler)
    )
    // A resync settles idle keys itself and queues the rest (ResyncSweep.ts). Its looks need the
    // caches listed, as passes do; until then asks wait here.
    const sweep = {
      queue,
      freshAfter,
      lookNow: reconciler.lookNow,
      afterPass: makeAfterPass({ queue, freshAfter }),
      afterDonePasses: makeAfterDonePasses({ queue })
    }
    const nextSweep = Queue.take(resyncs).pipe(
      Effect.andThen(allKeys),
      Effect.flatMap((names) => sweepResync(sweep, names))
    )
    yield* Effect.gen(function*() {
      yield* state.synced
      yield* nextSweep
      yield* workload("settled")
      // From then on, bursts of work (a mass rollout; the first sweep's own queued keys).
      if (config.onWorkload !== undefined) yield* watchWorkload(queue, config.onWorkload).pipe(Effect.forkScoped)
      return yield* Effect.forever(nextSweep)
    }).pipe(Effect.forkScoped)
    yield* Effect.logInfo("controller leading").pipe(Effect.annotateLogs({ identity: config.identity, workers: config.workers }))
    return yield* Effect.never
  }).pipe(Effect.scoped)

/**
 * Runs the controller: fills its caches, campaigns, leads while elected, campaigns again after
 * losing. Never returns.
 */
export const runController = (config: ControllerConfig) =>
  Effect.gen(function*() {
    let listener: StateCacheEvents | undefined
    const state = yield* makeStateCache({
      onSpecChange: (name) => listener?.onSpecChange(name) ?? Effect.void,
      onSpecsListed: (relists) => listener?.onSpecsListed(relists) ?? Effect.void
    })
    const listen = (events: StateCacheEvents) =>
      Effect.acquireRelease(Effect.sync(() => void (listener = events)), () =>
        Effect.sync(() => {
          if (listener === events) listener = undefined
        }))
    yield* state.synced.pipe(Effect.andThen(Effect.logInfo("caches listed")), Effect.forkScoped)
    return yield* runAsLeader(
      { identity: config.identity, ttlSeconds: config.leaderTtlSeconds },
      (leader) => lead(config, leader, { state, listen })
    )
  }).pipe(Effect.scoped)

/** The services the controller needs, for the composition root. */
export type ControllerServices =
  | EtcdClient
  | GitSourceStore
  | Leadership
  | SpecStore
  | StatusStore
  | MarathonClient
  | MarathonShards
  | MesosMaintenance
  | Executor
  | DrainRecords
  | HttpClient.HttpClient
  | NotificationLedger
