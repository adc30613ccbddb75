// Leader election (the successor of PaaSTA's am_i_mesos_leader), as a service with an etcd layer
// and a memory layer, and the one campaign loop both run under. On etcd, `<p>/leader` is created
// bound to this process's session lease only when absent; the term ends when the session stops
// being valid (renewal deadline, before etcd could elect someone else) or the key vanishes. The
// leader's work is then interrupted, the lease revoked, and the process campaigns again. Standbys
// watch the key and campaign the moment it is deleted or expires.
import { Context, Deferred, Duration, Effect, Layer, Metric, Option } from "effect"
import type { Scope } from "effect"
import type { Watcher } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import type { EtcdSession } from "./EtcdSession.ts"
import { makeSession } from "./EtcdSession.ts"
import { makeKeys } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"
import type { StoreError } from "./StoreError.ts"
import { leaderStatus } from "../telemetry/ControllerMetrics.ts"
import { makeMemoryElection } from "./MemoryElection.ts"
import type { MemoryElection } from "./MemoryElection.ts"

export interface LeadershipOptions {
  /** Written into the leader key: who leads (host/pid). */
  readonly identity: string
  readonly ttlSeconds: number
}

export interface Leader {
  readonly fence: Fence
  readonly session: EtcdSession
}

/** A won campaign: who we are as leader, and an effect that completes when leadership is in doubt. */
export interface Term {
  readonly leader: Leader
  readonly ended: Effect.Effect<void>
}

/** How often the leader key is read beside its watch (see keyGone). */
const keyProbeInterval = Duration.seconds(1)

/** Completes when `key` no longer has create revision `createRevision` (deleted or replaced). */
const keyGone = (key: string, createRevision: string | undefined) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const gone = yield* Deferred.make<void>()
    const finish = () => Deferred.doneUnsafe(gone, Effect.void)
    // The key may have gone between the campaign and the watch; and a watch on a frozen member
    // (SIGSTOP, a hung disk) neither delivers nor breaks, so the key is also read once a second
    // (each read has a deadline and skips a member that failed to answer), as the informers probe.
    const look = Effect.gen(function*() {
      const current = yield* etcd.call("read leader", (client) => client.get(key).exec())
      const kv = current.kvs[0]
      if (kv === undefined || (createRevision !== undefined && kv.create_revision !== createRevision)) finish()
    })
    yield* look
    yield* look.pipe(Effect.ignore, Effect.delay(keyProbeInterval), Effect.forever, Effect.forkScoped)
    // The watch tells the moment the key goes. It is set up beside the reads, never before them:
    // creating a watch on a frozen member neither completes nor fails, and a campaign waiting on
    // it (or a race that must interrupt it) would wait for ever. A watch created after this wait
    // was given up is cancelled at once; one created in time is cancelled with the scope.
    yield* Effect.uninterruptibleMask((restore) =>
      restore(Effect.callback<Watcher | undefined>((resume, signal) => {
        etcd.client.watch().key(key).create().then(
          (created) => {
            if (signal.aborted) created.cancel().catch(() => undefined)
            else resume(Effect.succeed(created))
          },
          () => resume(Effect.succeed(undefined))
        )
      })).pipe(Effect.flatMap((watcher) => {
        if (watcher === undefined) return Effect.void
        watcher.on("delete", finish)
        watcher.on("put", (kv) => {
          if (createRevision !== undefined && kv.create_revision !== createRevision) finish()
        })
        // A broken watch must not leave a standby waiting forever, nor a leader acting blind.
        watcher.on("disconnected", finish)
        watcher.on("error", finish)
        // cancel() waits for the server's answer, which never comes on a dead stream.
        return Effect.addFinalizer(() =>
          Effect.promise(() => watcher.cancel().catch(() => undefined)).pipe(Effect.timeoutOption("1 second"))
        )
      }))
    ).pipe(Effect.forkScoped)
    yield* Deferred.await(gone)
  }).pipe(Effect.scoped)

/** One campaign on etcd: the term when won (closing the scope revokes its lease), else none once the seat looks free. */
const campaignEtcd = (options: LeadershipOptions) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const key = makeKeys(etcd.prefix).leader
    const session = yield* makeSession({ ttlSeconds: options.ttlSeconds })
    const value = JSON.stringify({ identity: options.identity, lease: session.leaseId })
    const attempt = yield* etcd.call("campaign", (client) =>
      client.if(key, "Create", "==", 0).then(client.put(key).value(value).lease(session.leaseId)).commit())
    if (!attempt.succeeded) {
      // A standby: wait for the key to go (or our own session to fail), then try again.
      yield* Effect.raceFirst(keyGone(key, undefined), session.lost)
      return Option.none<Term>()
    }
    const fence: Fence = { key, createRevision: attempt.header.revision }
    return Option.some<Term>({
      leader: { fence, session },
      ended: Effect.raceFirst(session.lost, keyGone(key, fence.createRevision)).pipe(
        Effect.provideService(EtcdClient, etcd),
        Effect.ignore
      )
    })
  })

/**
 * Where the seat of leader is kept. `campaign` tries once: Some(term) when this process now leads
 * (until the scope closes or `term.ended` completes), None after waiting for the seat to look free.
 */
export class Leadership extends Context.Service<Leadership, {
  readonly campaign: (options: LeadershipOptions) => Effect.Effect<Option.Option<Term>, StoreError, Scope.Scope>
}>()("mdeploy/store/Leadership") {
  static readonly layerEtcd: Layer.Layer<Leadership, never, EtcdClient> = Layer.effect(
    Leadership,
    Effect.map(
      EtcdClient,
      (etcd) => Leadership.of({ campaign: (options) => Effect.provideService(campaignEtcd(options), EtcdClient, etcd) })
    )
  )

  /** One in-process seat; tests that depose leaders build theirs with `makeMemoryElection`. */
  static readonly layerMemory: Layer.Layer<Leadership> = Layer.effect(
    Leadership,
    Effect.map(makeMemoryElection, (election) => Leadership.of({ campaign: election.campaign }))
  )

  static readonly layerFromElection = (election: MemoryElection): Layer.Layer<Leadership> =>
    Layer.succeed(Leadership, Leadership.of({ campaign: election.campaign }))
}

/**
 * Campaigns forever; while leading, runs `work(leader)`, interrupting it as soon as leadership is
 * in doubt. Never returns; fails only if the store keeps failing beyond the session's own retries.
 */
export const runAsLeader = <R>(
  options: LeadershipOptions,
  work: (leader: Leader) => Effect.Effect<void, never, R>
): Effect.Effect<never, StoreError, Leadership | R> =>
  Effect.gen(function*() {
    const leadership = yield* Leadership
    // One term = one session: whatever way the term ends, closing its scope gives up the seat.
    const term = Effect.gen(function*() {
      const won = yield* leadership.campaign(options)
      if (Option.isNone(won)) return
      const { leader, ended } = won.value
      yield* Effect.logInfo("elected leader").pipe(Effect.annotateLogs({ identity: options.identity, lease: leader.session.leaseId }))
      yield* Metric.update(leaderStatus, 1)
      yield* Effect.raceFirst(work(leader).pipe(Effect.andThen(Effect.never)), ended).pipe(
        Effect.ensuring(Metric.update(leaderStatus, 0))
      )
      yield* Effect.logWarning("leadership lost; workers stopped").pipe(Effect.annotateLogs({ identity: options.identity }))
    }).pipe(Effect.scoped)
    return yield* term.pipe(
      Effect.catch((error) =>
        Effect.logWarning("leader election: etcd error, campaigning again").pipe(Effect.annotateLogs({ error: error.message })).pipe(
          Effect.andThen(Effect.sleep(Duration.millis(500)))
        )
      ),
      Effect.forever
    )
  })

/** The current leader's identity, if any (for `mdeploy get`-style status and tests). */
export const currentLeader = Effect.gen(function*() {
  const etcd = yield* EtcdClient
  const value = yield* etcd.callIdempotent("read leader", (client) => client.get(makeKeys(etcd.prefix).leader).string())
  return Option.fromNullishOr(value)
})
