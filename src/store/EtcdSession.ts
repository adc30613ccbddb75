// One etcd lease per process, kept alive, that every lock and the leader key of this process is
// bound to: when the process dies, etcd frees all of them after the TTL. The session counts as
// valid only while a keep-alive succeeded within `renewDeadline` (2/3 of the TTL by default), so a
// holder stops acting *before* etcd can hand its keys to someone else. The lease is revoked on
// close, because etcd3's client.close() leaves keep-alives running.
import { Deferred, Duration, Effect, Schedule } from "effect"
import type { Scope } from "effect"
import type { Lease } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import type { Clocks, Stamp } from "./internal/renewalClock.ts"
import { makeRenewalClock, stampOf, systemClocks } from "./internal/renewalClock.ts"
import type { StoreError } from "./StoreError.ts"

export interface EtcdSession {
  readonly leaseId: string
  readonly ttlSeconds: number
  /** True while the lease was renewed within the renew deadline. */
  readonly isValid: Effect.Effect<boolean>
  /**
   * Milliseconds until the renew deadline, measured from when the last successful keep-alive was
   * *sent*; 0 once lost. Read from the clocks on every call, so a process that was frozen sees the
   * truth the moment it runs again, before any timer of its own has fired; a wall clock stepped
   * back does not make the lease look younger (renewalClock.ts).
   */
  readonly remainingMs: Effect.Effect<number>
  /** Completes when the session stops being valid (it never becomes valid again). */
  readonly lost: Effect.Effect<void>
}

export interface SessionOptions {
  readonly ttlSeconds: number
  /** Stop trusting the lease this long after the last successful renewal (default 2/3 TTL). */
  readonly renewDeadline?: Duration.Duration
  /** The clocks the renew deadline is read on; tests step them. */
  readonly clocks?: Clocks
}

export const makeSession = (
  options: SessionOptions
): Effect.Effect<EtcdSession, StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const ttlSeconds = Math.max(2, Math.round(options.ttlSeconds))
    const renewDeadlineMs = Duration.toMillis(options.renewDeadline ?? Duration.millis((ttlSeconds * 2000) / 3))
    const lostSignal = yield* Deferred.make<void>()
    let lost = false
    const lease: Lease = etcd.client.lease(ttlSeconds)
    const clocks = options.clocks ?? systemClocks
    const grantSentAt = stampOf(clocks)
    const leaseId = yield* etcd.call("grant lease", () => lease.grant())
    // etcd3 reports renewals through callbacks; both clocks are read on both sides of the comparison.
    const renewals = makeRenewalClock(grantSentAt, clocks)
    const markLost = () => {
      lost = true
      Deferred.doneUnsafe(lostSignal, Effect.void)
    }
    // A renewal counts from when its keep-alive was sent, not from when the answer was read: an
    // answer that sat in a socket while the process was stopped proves nothing about now.
    const inFlight: Array<Stamp> = []
    lease.on("keepaliveEstablished", () => {
      inFlight.length = 0
    })
    lease.on("keepaliveFired", () => {
      inFlight.push(renewals.stamp())
    })
    lease.on("keepaliveSucceeded", (response) => {
      const sentAt = inFlight.shift()
      // A keep-alive answered with TTL <= 0 means etcd already expired the lease.
      if (Number(response.TTL) <= 0) markLost()
      else if (!lost && sentAt !== undefined) renewals.renewed(sentAt)
    })
    lease.on("lost", markLost)

    yield* Effect.addFinalizer(() => Effect.promise(() => lease.revoke({ deadline: Date.now() + 2_000 }).catch(() => lease.release())))

    // Watch the renew deadline: losing it is losing the session, even before etcd says so.
    yield* Effect.sync(() => {
      if (renewals.sinceRenewal() > renewDeadlineMs) markLost()
    }).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(50, renewDeadlineMs / 8)))),
      Effect.forkScoped
    )

    return {
      leaseId,
      ttlSeconds,
      isValid: Effect.sync(() => !lost),
      remainingMs: Effect.sync(() => {
        if (lost) return 0
        const left = renewDeadlineMs - renewals.sinceRenewal()
        if (left <= 0) markLost()
        return Math.max(0, left)
      }),
      lost: Deferred.await(lostSignal)
    }
  })
