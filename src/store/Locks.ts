// Lease-bound etcd locks (design.md §3): `locks/instance/<name>` so that one actor at a time
// reconciles an instance, and `locks/app-lifecycle` so that app creation/deletion never races
// cleanup. Acquiring never blocks — a held lock is an answer (requeue, or exit 5), not a wait.
// Every lock key is bound to the holder's session lease, so a crashed holder frees it after the TTL;
// a lock a live process left behind (its put answered too late, its release lost) is taken back
// by that process's next pass of the instance (LockLeftovers.ts).
//
// app-lifecycle is a readers–writer lock: reconciles take it shared (they may run in parallel),
// cleanup takes it exclusive. A reader registers only while no writer key exists (one transaction);
// a writer first claims the writer key, then waits for the readers registered before it to leave.
// A pass that expects to create takes its instance lock and a reader in one transaction.
import { Context, Duration, Effect, Exit, Layer, Option, Schedule, Schema, Scope } from "effect"
import { EtcdClient } from "./EtcdClient.ts"
import type { EtcdSession } from "./EtcdSession.ts"
import { makeKeys } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"
import type { StoredLockKv } from "./LockLeftovers.ts"
import { dropLeftoverReaders, housekeepingRetry, markTaking, takeBackLeftover, unmarkTaking } from "./LockLeftovers.ts"
import type { StoreError } from "./StoreError.ts"

export class LockHeldError extends Schema.TaggedError<LockHeldError>()("LockHeldError", {
  key: Schema.String,
  holder: Schema.String
}) {}

/**
 * Puts `key` bound to the session's lease if nobody holds it, or takes back what an earlier pass
 * of this process left there (LockLeftovers); the fence proves the hold later. Refused while
 * someone else holds `key`, or while `unlessExists` exists: the holder is read in the same
 * transaction. Call it with `key` marked as taking.
 */
const tryPut = (key: string, holder: string, session: EtcdSession, unlessExists?: string) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const result = yield* etcd.call("acquire lock", (client) => {
      const guard = client.if(key, "Create", "==", 0)
      if (unlessExists !== undefined) guard.and(unlessExists, "Create", "==", 0)
      const reads = unlessExists === undefined ? [client.get(key)] : [client.get(key), client.get(unlessExists)]
      return guard.then(client.put(key).value(holder).lease(session.leaseId)).else(...reads).commit()
    })
    if (result.succeeded) return { key, createRevision: result.header.revision } satisfies Fence
    const [existing, blocking] = result.responses.map((response) => response.response_range.kvs[0])
    if (existing !== undefined) return yield* takeBackOrRefuse(key, holder, session, existing)
    return yield* new LockHeldError({ key: unlessExists ?? key, holder: blocking?.value.toString() ?? "nobody (just released)" })
  })

/** A lock found taken: ours again when it is this process's leftover, else refused with its holder. */
const takeBackOrRefuse = (key: string, holder: string, session: EtcdSession, existing: StoredLockKv) =>
  Effect.flatMap(
    takeBackLeftover(key, holder, session, existing),
    Option.match({
      onSome: Effect.succeed,
      onNone: () => Effect.fail(new LockHeldError({ key, holder: existing.value.toString() }))
    })
  )

/** Gives `fence` back, unless someone else holds its key by now; sent again when etcd does not answer. */
const release = (fence: Fence) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    // A guarded delete can be sent again: a second one finds the key gone or someone else's.
    yield* etcd.call("release lock", (client) =>
      client.if(fence.key, "Create", "==", fence.createRevision).then(client.delete().key(fence.key)).commit()).pipe(
        Effect.retry(housekeepingRetry)
      )
  }).pipe(Effect.ignore)

/** `take` with `key` counted as this process's from before its request until `give` ends. */
const holding = <E, R>(
  session: EtcdSession,
  key: string,
  take: Effect.Effect<Fence, E, R>,
  give: (fence: Fence) => Effect.Effect<void, never, R>
): Effect.Effect<Fence, E, R | Scope.Scope> =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      markTaking(session, key)
      return take.pipe(Effect.onError(() => Effect.sync(() => unmarkTaking(session, key))))
    }),
    (fence) => give(fence).pipe(Effect.ensuring(Effect.sync(() => unmarkTaking(session, key))))
  )

/**
 * Holds `locks/instance/<name>` for the life of the scope, or fails with LockHeldError at once.
 * The returned fence is what status writes are conditioned on.
 */
export const acquireInstanceLock = (
  name: string,
  holder: string,
  session: EtcdSession
): Effect.Effect<Fence, LockHeldError | StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const key = makeKeys(etcd.prefix).instanceLock(name)
    return yield* holding(session, key, tryPut(key, holder, session), release)
  })

let readerSequence = 0

/** Holds app-lifecycle shared (reconciles), or fails with LockHeldError while cleanup holds it. */
export const acquireAppLifecycleShared = (
  holder: string,
  session: EtcdSession
): Effect.Effect<Fence, LockHeldError | StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const readerKey = `${keys.appLifecycleLock}/readers/${session.leaseId}-${++readerSequence}`
    return yield* holding(session, readerKey, tryPut(readerKey, holder, session, keys.appLifecycleLock), release)
  })

/** The instance lock with, when it could be had in the same transaction, an app-lifecycle reader. */
export interface InstanceLocks {
  readonly instance: Fence
  /** Undefined when a tear-down holds app-lifecycle: then a create must ask again (and be refused). */
  readonly shared: Fence | undefined
  /** Gives the reader back before the scope ends (a pass that turns out to tear down). */
  readonly releaseShared: Effect.Effect<void>
  /**
   * The keys still held that the pass's last write may delete in its own transaction (the locks
   * given back with the status, one round trip instead of two); empty when the scope must give
   * them back itself.
   */
  readonly keysToGiveBack: () => ReadonlyArray<Fence>
  /** That write held: the keys are gone, and the end of the scope gives back nothing. */
  readonly givenBack: Effect.Effect<void>
}

/** Locks that only the end of their scope gives back. */
export const scopeReleased = (instance: Fence): InstanceLocks => ({
  instance,
  shared: undefined,
  releaseShared: Effect.void,
  keysToGiveBack: () => [],
  givenBack: Effect.void
})

/**
 * The instance lock for a pass that expects to create apps: taken together with an app-lifecycle
 * reader in one transaction (one round trip before the create instead of two), or alone while a
 * tear-down holds app-lifecycle. Both are given back in one transaction at the end of the scope.
 */
export const acquireInstanceLockForCreate = (
  name: string,
  holder: string,
  session: EtcdSession
): Effect.Effect<InstanceLocks, LockHeldError | StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const key = keys.instanceLock(name)
    const readerKey = `${keys.appLifecycleLock}/readers/${session.leaseId}-${++readerSequence}`
    // What is still held once the transaction succeeded; the reader may be given back early, and
    // both with the pass's last status write.
    let reader: Fence | undefined
    let readerMarked = true
    let givenBack = false
    const unmarkReader = () => {
      if (readerMarked) unmarkTaking(session, readerKey)
      readerMarked = false
    }
    const both = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        markTaking(session, key)
        markTaking(session, readerKey)
        return etcd.call("acquire locks", (client) =>
          client.if(key, "Create", "==", 0).and(keys.appLifecycleLock, "Create", "==", 0)
            .then(client.put(key).value(holder).lease(session.leaseId), client.put(readerKey).value(holder).lease(session.leaseId))
            .else(client.get(key))
            .commit()).pipe(
            Effect.tap((result) => Effect.sync(() => result.succeeded ? undefined : unmarkReader())),
            Effect.onError(() =>
              Effect.sync(() => {
                unmarkTaking(session, key)
                unmarkReader()
              })
            )
          )
      }),
      (result) => {
        if (!result.succeeded) return Effect.void
        const instance: Fence = { key, createRevision: result.header.revision }
        const held = reader
        const giveBack = givenBack
          ? Effect.void
          : held === undefined
          ? release(instance)
          : etcd.call("release locks", (client) =>
            client.if(key, "Create", "==", instance.createRevision).and(held.key, "Create", "==", held.createRevision)
              .then(client.delete().key(key), client.delete().key(held.key)).commit()).pipe(
              Effect.retry(housekeepingRetry),
              // One of them is no longer as taken (a lease lost, say): each alone, each still guarded.
              Effect.flatMap((released) =>
                released.succeeded ? Effect.void : Effect.andThen(release(instance), release(held))
              ),
              Effect.ignore
            )
        return giveBack.pipe(Effect.ensuring(Effect.sync(() => {
          unmarkTaking(session, key)
          unmarkReader()
        })))
      }
    )
    if (both.succeeded) {
      const instance: Fence = { key, createRevision: both.header.revision }
      reader = { key: readerKey, createRevision: both.header.revision }
      return {
        instance,
        shared: reader,
        releaseShared: Effect.suspend(() => {
          const held = reader
          reader = undefined
          return held === undefined
            ? Effect.void
            : Effect.provideService(release(held), EtcdClient, etcd).pipe(Effect.ensuring(Effect.sync(unmarkReader)))
        }),
        keysToGiveBack: () => givenBack ? [] : reader === undefined ? [instance] : [instance, reader],
        givenBack: Effect.sync(() => {
          givenBack = true
          reader = undefined
        })
      } satisfies InstanceLocks
    }
    // Someone holds the instance (its holder was read in the same transaction; or it is this
    // process's leftover, taken back), or a tear-down holds app-lifecycle: then the instance lock alone.
    const holderKv = both.responses[0]?.response_range.kvs[0]
    if (holderKv === undefined) {
      unmarkTaking(session, key)
      return scopeReleased(yield* acquireInstanceLock(name, holder, session))
    }
    const taken = yield* Effect.acquireRelease(
      takeBackOrRefuse(key, holder, session, holderKv).pipe(Effect.onError(() => Effect.sync(() => unmarkTaking(session, key)))),
      (fence) => release(fence).pipe(Effect.ensuring(Effect.sync(() => unmarkTaking(session, key))))
    )
    return scopeReleased(taken)
  })

/**
 * Holds app-lifecycle exclusively (cleanup): claims the writer key, then waits up to `drainTimeoutMs`
 * for shared holders that registered earlier to finish; gives the key back and fails if they don't.
 */
export const acquireAppLifecycleExclusive = (
  holder: string,
  session: EtcdSession,
  drainTimeoutMs = 10_000
): Effect.Effect<Fence, LockHeldError | StoreError, EtcdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const key = makeKeys(etcd.prefix).appLifecycleLock
    const readers = `${key}/readers/`
    const take = Effect.gen(function*() {
      const fence = yield* tryPut(key, holder, session)
      // Readers this process left behind would hold the tear-down off until its session ends.
      yield* dropLeftoverReaders(session)
      const drained = yield* etcd.call("count lock readers", (client) => client.getAll().prefix(readers).count()).pipe(
        Effect.repeat({ until: (count) => count === 0, schedule: Schedule.spaced("50 millis") }),
        Effect.timeoutOption(Duration.millis(drainTimeoutMs))
      )
      if (Option.isNone(drained)) {
        yield* release(fence)
        return yield* new LockHeldError({ key, holder: "reconciles still in progress" })
      }
      return fence
    })
    return yield* holding(session, key, take, release)
  })

/**
 * The three locks as a service, so the reconciler can run on etcd or, in service-level tests, on
 * the memory layer (same semantics: an instance lock is exclusive, app-lifecycle is shared for
 * creates and exclusive for tear-downs, an exclusive holder waits for earlier readers).
 */
export class Locks extends Context.Service<Locks, {
  readonly instance: (name: string, holder: string, session: EtcdSession) => Effect.Effect<Fence, LockHeldError | StoreError, Scope.Scope>
  /** The instance lock with an app-lifecycle reader when one can be had at once (a pass that expects to create). */
  readonly instanceForCreate: (
    name: string,
    holder: string,
    session: EtcdSession
  ) => Effect.Effect<InstanceLocks, LockHeldError | StoreError, Scope.Scope>
  readonly appLifecycleShared: (holder: string, session: EtcdSession) => Effect.Effect<Fence, LockHeldError | StoreError, Scope.Scope>
  readonly appLifecycleExclusive: (
    holder: string,
    session: EtcdSession,
    drainTimeoutMs?: number
  ) => Effect.Effect<Fence, LockHeldError | StoreError, Scope.Scope>
}>()("mdeploy/store/Locks") {
  static readonly layerEtcd: Layer.Layer<Locks, never, EtcdClient> = Layer.effect(
    Locks,
    Effect.map(EtcdClient, (etcd) =>
      Locks.of({
        instance: (name, holder, session) => Effect.provideService(acquireInstanceLock(name, holder, session), EtcdClient, etcd),
        instanceForCreate: (name, holder, session) =>
          Effect.provideService(acquireInstanceLockForCreate(name, holder, session), EtcdClient, etcd),
        appLifecycleShared: (holder, session) => Effect.provideService(acquireAppLifecycleShared(holder, session), EtcdClient, etcd),
        appLifecycleExclusive: (holder, session, drainTimeoutMs) =>
          Effect.provideService(acquireAppLifecycleExclusive(holder, session, drainTimeoutMs), EtcdClient, etcd)
      }))
  )

  static readonly layerMemory: Layer.Layer<Locks> = Layer.sync(Locks, () => makeMemoryLocks())
}

const makeMemoryLocks = () => {
  const instances = new Map<string, string>()
  const readers = new Map<number, string>()
  let writer: string | undefined
  let revision = 0
  const fence = (key: string): Fence => ({ key, createRevision: String(++revision) })
  const instance = (name: string, holder: string) =>
    Effect.acquireRelease(
      Effect.suspend(() => {
        const key = `locks/instance/${name}`
        const held = instances.get(name)
        if (held !== undefined) return Effect.fail(new LockHeldError({ key, holder: held }))
        instances.set(name, holder)
        return Effect.succeed(fence(key))
      }),
      () => Effect.sync(() => instances.delete(name))
    )
  const shared = (holder: string) =>
    Effect.acquireRelease(
      Effect.suspend(() => {
        if (writer !== undefined) return Effect.fail(new LockHeldError({ key: "locks/app-lifecycle", holder: writer }))
        const id = ++revision
        readers.set(id, holder)
        return Effect.succeed({ key: `locks/app-lifecycle/readers/${id}`, createRevision: String(id) })
      }),
      (held) => Effect.sync(() => readers.delete(Number(held.createRevision)))
    )
  return Locks.of({
    instance,
    // The same outcome as the etcd layer's single transaction: the reader only when no tear-down holds app-lifecycle.
    // A status write cannot delete these keys: given back (givenBack) means released here at once.
    instanceForCreate: (name, holder) =>
      Effect.gen(function*() {
        const instanceScope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(instanceScope, Exit.void))
        const held = yield* instance(name, holder).pipe(Scope.provide(instanceScope))
        if (writer !== undefined) return scopeReleased(held)
        const readerScope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(readerScope, Exit.void))
        const reader = yield* shared(holder).pipe(Scope.provide(readerScope))
        let readerHeld = true
        let givenBack = false
        return {
          instance: held,
          shared: reader,
          releaseShared: Effect.andThen(Effect.sync(() => (readerHeld = false)), Scope.close(readerScope, Exit.void)),
          keysToGiveBack: () => givenBack ? [] : readerHeld ? [held, reader] : [held],
          givenBack: Effect.andThen(
            Effect.sync(() => (givenBack = true)),
            Effect.andThen(Scope.close(readerScope, Exit.void), Scope.close(instanceScope, Exit.void))
          )
        } satisfies InstanceLocks
      }),
    appLifecycleShared: shared,
    appLifecycleExclusive: (holder, _session, drainTimeoutMs = 10_000) =>
      Effect.acquireRelease(
        Effect.gen(function*() {
          if (writer !== undefined) return yield* new LockHeldError({ key: "locks/app-lifecycle", holder: writer })
          writer = holder
          const before = new Set(readers.keys())
          const drained = yield* Effect.sync(() => [...before].every((id) => !readers.has(id))).pipe(
            Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("50 millis") }),
            Effect.timeoutOption(Duration.millis(drainTimeoutMs))
          )
          if (Option.isNone(drained)) {
            writer = undefined
            return yield* new LockHeldError({ key: "locks/app-lifecycle", holder: "reconciles still in progress" })
          }
          return fence("locks/app-lifecycle")
        }),
        () =>
          Effect.sync(() => {
            writer = undefined
          })
      )
  })
}
