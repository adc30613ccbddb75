// Leader election on etcd (the successor of PaaSTA's am_i_mesos_leader): `<p>/leader` is created
// bound to this process's session lease only when absent. The leader runs its work until its
// session stops being valid (renewal deadline, before etcd could elect someone else) or the key
// vanishes; the work is then interrupted, the lease revoked, and the process campaigns again.
// Standbys watch the key and campaign the moment it is deleted or expires.
import { Deferred, Duration, Effect, Metric, Option } from "effect"
import type { Watcher } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import type { EtcdSession } from "./EtcdSession.ts"
import { makeSession } from "./EtcdSession.ts"
import { makeKeys } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"
import type { StoreError } from "./StoreError.ts"
import { leaderStatus } from "../telemetry/ControllerMetrics.ts"

export interface LeadershipOptions {
  /** Written into the leader key: who leads (host/pid). */
  readonly identity: string
  readonly ttlSeconds: number
}

export interface Leader {
  readonly fence: Fence
  readonly session: EtcdSession
}

/** Completes when `key` no longer has create revision `createRevision` (deleted or replaced). */
const keyGone = (key: string, createRevision: string | undefined) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const gone = yield* Deferred.make<void>()
    const watcher = yield* Effect.acquireRelease(
      etcd.call("watch leader", (client) => client.watch().key(key).create()),
      (watcher: Watcher) =>
            // cancel() waits for the server's answer, which never comes on a dead stream.
            Effect.promise(() => watcher.cancel().catch(() => undefined)).pipe(Effect.timeoutOption("1 second"))
    )
    const finish = () => Deferred.doneUnsafe(gone, Effect.void)
    watcher.on("delete", finish)
    watcher.on("put", (kv) => {
      if (createRevision !== undefined && kv.create_revision !== createRevision) finish()
    })
    // A broken watch must not leave a standby waiting forever, nor a leader acting blind.
    watcher.on("disconnected", finish)
    watcher.on("error", finish)
    // The key may have gone between the campaign and the watch.
    const current = yield* etcd.call("read leader", (client) => client.get(key).exec())
    const kv = current.kvs[0]
    if (kv === undefined || (createRevision !== undefined && kv.create_revision !== createRevision)) finish()
    yield* Deferred.await(gone)
  }).pipe(Effect.scoped)

/**
 * Campaigns forever; while leading, runs `work(leader)`, interrupting it as soon as leadership is
 * in doubt. Never returns; fails only if etcd keeps failing beyond the session's own retries.
 */
export const runAsLeader = <R>(
  options: LeadershipOptions,
  work: (leader: Leader) => Effect.Effect<void, never, R>
): Effect.Effect<never, StoreError, EtcdClient | R> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const key = makeKeys(etcd.prefix).leader
    // One term = one session: whatever way the term ends, closing its scope revokes the lease.
    const term = Effect.gen(function*() {
      const session = yield* makeSession({ ttlSeconds: options.ttlSeconds })
      const value = JSON.stringify({ identity: options.identity, lease: session.leaseId })
      const attempt = yield* etcd.call("campaign", (client) =>
        client.if(key, "Create", "==", 0).then(client.put(key).value(value).lease(session.leaseId)).commit())
      if (!attempt.succeeded) {
        // A standby: wait for the key to go (or our own session to fail), then try again.
        yield* Effect.raceFirst(keyGone(key, undefined), session.lost)
        return
      }
      const leader: Leader = { fence: { key, createRevision: attempt.header.revision }, session }
      yield* Effect.logInfo("elected leader").pipe(Effect.annotateLogs({ identity: options.identity, lease: session.leaseId }))
      yield* Metric.update(leaderStatus, 1)
      yield* Effect.raceFirst(
        work(leader).pipe(Effect.andThen(Effect.never)),
        Effect.raceFirst(session.lost, keyGone(key, leader.fence.createRevision))
      ).pipe(Effect.ensuring(Metric.update(leaderStatus, 0)))
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
