// Locks an earlier pass of this process left behind. A lock is put with the session's lease, so a
// holder that dies frees it at the TTL; but while this process lives, its lease lives too, and a
// lock whose put was answered too late (a frozen member, the call's deadline) or whose release
// never reached etcd would stay "held" — by this very process — and every later pass of the
// instance would find it taken until leadership changed hands. A lock key whose lease is this
// session's, whose value is this holder, and that no pass of this process holds or is taking
// right now can only be such a leftover: it is taken back (with its own create revision as the
// fence) instead of being waited on.
import { Effect, Option } from "effect"
import { EtcdClient, etcdRetry } from "./EtcdClient.ts"
import type { EtcdSession } from "./EtcdSession.ts"
import { makeKeys } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"

/**
 * Releases and leftover clean-up run where nothing can interrupt them (a scope's release, a take):
 * sent again twice at most, so that after a member that did not answer the next try goes to
 * another one, and a controller losing an etcd it cannot reach still stops within seconds.
 */
export const housekeepingRetry = etcdRetry(2)

/** Per session, how many passes of this process hold or are taking each lock key. */
const holdsBySession = new WeakMap<EtcdSession, Map<string, number>>()

const holdsOf = (session: EtcdSession): Map<string, number> => {
  const existing = holdsBySession.get(session)
  if (existing !== undefined) return existing
  const created = new Map<string, number>()
  holdsBySession.set(session, created)
  return created
}

/** Counts `key` as this process's from before the request that takes it is sent. */
export const markTaking = (session: EtcdSession, key: string): void => {
  const holds = holdsOf(session)
  holds.set(key, (holds.get(key) ?? 0) + 1)
}

/** The take failed, or the release ended (given back or not): `key` is no longer this pass's. */
export const unmarkTaking = (session: EtcdSession, key: string): void => {
  const holds = holdsOf(session)
  const count = (holds.get(key) ?? 0) - 1
  if (count > 0) holds.set(key, count)
  else holds.delete(key)
}

/** A lock key as etcd3 returns it, read in the transaction that found it taken. */
export interface StoredLockKv {
  readonly value: Buffer
  readonly lease: string
  readonly create_revision: string
}

/**
 * Whether `stored` at `key` is a leftover of this process: the session's lease, the same holder,
 * and held by none of its passes. `markTaking` was called for the current take, so one count is
 * the caller's own.
 */
const isLeftover = (stored: StoredLockKv, key: string, holder: string, session: EtcdSession): boolean =>
  stored.lease === session.leaseId && stored.value.toString() === holder && (holdsOf(session).get(key) ?? 0) <= 1

/** Whether a pass of this process holds `key` or is taking it. */
const isHeldHere = (session: EtcdSession, key: string): boolean => (holdsOf(session).get(key) ?? 0) > 0

/**
 * The fence of `stored` at `key` when it is this process's leftover (taken back, with the readers
 * left beside it dropped), or None when someone else holds it.
 */
export const takeBackLeftover = (
  key: string,
  holder: string,
  session: EtcdSession,
  stored: StoredLockKv
): Effect.Effect<Option.Option<Fence>, never, EtcdClient> => {
  if (!isLeftover(stored, key, holder, session)) return Effect.succeedNone
  return Effect.logInfo("lock left by an earlier pass of this process taken back").pipe(
    Effect.annotateLogs({ key, createRevision: stored.create_revision }),
    // The transaction that left it may have left an app-lifecycle reader too.
    Effect.andThen(dropLeftoverReaders(session)),
    Effect.as(Option.some<Fence>({ key, createRevision: stored.create_revision }))
  )
}

/**
 * Deletes the app-lifecycle readers of this session that none of its passes holds: puts whose
 * answers were lost, which would otherwise hold every tear-down off until the session ends.
 */
export const dropLeftoverReaders = (session: EtcdSession) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const prefix = `${makeKeys(etcd.prefix).appLifecycleLock}/readers/${session.leaseId}-`
    const found = yield* etcd.call("list own lock readers", (client) => client.getAll().prefix(prefix).keys()).pipe(
      Effect.retry(housekeepingRetry)
    )
    for (const key of found.filter((key) => !isHeldHere(session, key))) {
      yield* etcd.call("drop leftover lock reader", (client) =>
        client.if(key, "Lease", "==", session.leaseId).then(client.delete().key(key)).commit()).pipe(Effect.retry(housekeepingRetry))
    }
  }).pipe(Effect.ignore)
