// One etcd lease per process, kept alive, that every lock and the leader key of this process is
// bound to: when the process dies, etcd frees all of them after the TTL. The session counts as
// valid only while a keep-alive succeeded within `renewDeadline` (2/3 of the TTL by default), so a
// holder stops acting *before* etcd can hand its keys to someone else. The lease is revoked on
// close, because etcd3's client.close() leaves keep-alives running.
import { Deferred, Duration, Effect, Schedule } from "effect"
import type { Scope } from "effect"
import type { Lease } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import type { StoreError } from "./StoreError.ts"

export interface EtcdSession {
  readonly leaseId: string
  readonly ttlSeconds: number
  /** True while the lease was renewed within the renew deadline. */
  readonly isValid: Effect.Effect<boolean>
  /** Completes when the session stops being valid (it never becomes valid again). */
  readonly lost: Effect.Effect<void>
}

export interface SessionOptions {
  readonly ttlSeconds: number
  /** Stop trusting the lease this long after the last successful renewal (default 2/3 TTL). */
  readonly renewDeadline?: Duration.Duration
}

export const makeSession = (
  options: SessionOptions
): Effect.Effect<EtcdSession, StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const ttlSeconds = Math.max(2, Math.round(options.ttlSeconds))
    const renewDeadlineMs = Duration.toMillis(options.renewDeadline ?? Duration.millis((ttlSeconds * 2000) / 3))
    const lostSignal = yield* Deferred.make<void>()
    // etcd3 reports renewals through callbacks, so the session keeps wall-clock time on both sides
    // of the comparison (etcd's own TTL is wall-clock time too).
    let lastRenewal = Date.now()
    let lost = false

    const lease: Lease = etcd.client.lease(ttlSeconds)
    const leaseId = yield* etcd.call("grant lease", () => lease.grant())
    lastRenewal = Date.now()
    const markLost = () => {
      lost = true
      Deferred.doneUnsafe(lostSignal, Effect.void)
    }
    lease.on("keepaliveSucceeded", (response) => {
      // A keep-alive answered with TTL <= 0 means etcd already expired the lease.
      if (Number(response.TTL) <= 0) markLost()
      else if (!lost) lastRenewal = Date.now()
    })
    lease.on("lost", markLost)

    yield* Effect.addFinalizer(() =>
      Effect.promise(() => lease.revoke({ deadline: Date.now() + 2_000 }).catch(() => lease.release()))
    )

    // Watch the renew deadline: losing it is losing the session, even before etcd says so.
    yield* Effect.sync(() => {
      if (Date.now() - lastRenewal > renewDeadlineMs) markLost()
    }).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(50, renewDeadlineMs / 8)))),
      Effect.forkScoped
    )

    return {
      leaseId,
      ttlSeconds,
      isValid: Effect.sync(() => !lost),
      lost: Deferred.await(lostSignal)
    }
  })
