// Locks an earlier pass of this process left behind. A lock is put with the session's lease, so a
// holder that dies frees it at the TTL; but while this process lives, its lease lives too, and a
// lock whose put was answered too late (a frozen member, the call's deadline) or whose release
// never reached etcd would stay "held" — by this very process — and every later pass of the
// instance would find it taken until leadership changed hands. A lock key whose lease is this
// session's, whose value is this holder, and that no pass of this process holds or is taking
// right now can only be such a leftover: it is taken back (with its own create revision as the
// fence) instead of being waited on.
import type { EtcdSession } from "./EtcdSession.ts"

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

/** What a lock key held when a take was refused, as read in the same transaction. */
export interface StoredLock {
  readonly value: string
  readonly lease: string
}

/**
 * Whether `stored` at `key` is a leftover of this process: the session's lease, the same holder,
 * and held by none of its passes. `markTaking` was called for the current take, so one count is
 * the caller's own.
 */
export const isLeftover = (stored: StoredLock, key: string, holder: string, session: EtcdSession): boolean =>
  stored.lease === session.leaseId && stored.value === holder && (holdsOf(session).get(key) ?? 0) <= 1

/** Whether a pass of this process holds `key` or is taking it. */
export const isHeldHere = (session: EtcdSession, key: string): boolean => (holdsOf(session).get(key) ?? 0) > 0
