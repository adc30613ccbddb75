// Lease-bound etcd locks (design.md §3): `locks/instance/<name>` so that one actor at a time
// reconciles an instance, and `locks/app-lifecycle` so that app creation/deletion never races
// cleanup. Acquiring never blocks — a held lock is an answer (requeue, or exit 5), not a wait.
// Every lock key is bound to the holder's session lease, so a crashed holder frees it after the TTL.
//
// app-lifecycle is a readers–writer lock: reconciles take it shared (they may run in parallel),
// cleanup takes it exclusive. A reader registers only while no writer key exists (one transaction);
// a writer first claims the writer key, then waits for the readers registered before it to leave.
import { Context, Duration, Effect, Layer, Option, Schedule, Schema } from "effect"
import type { Scope } from "effect"
import { EtcdClient } from "./EtcdClient.ts"
import type { EtcdSession } from "./EtcdSession.ts"
import { makeKeys } from "./Keys.ts"
import type { Fence } from "./StatusStore.ts"
import type { StoreError } from "./StoreError.ts"

export class LockHeldError extends Schema.TaggedError<LockHeldError>()("LockHeldError", {
  key: Schema.String,
  holder: Schema.String
}) {}

/** Puts `key` bound to the session's lease if nobody holds it; the fence proves the hold later. */
const tryPut = (key: string, holder: string, session: EtcdSession, unlessExists?: string) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const result = yield* etcd.call("acquire lock", (client) => {
      const guard = client.if(key, "Create", "==", 0)
      if (unlessExists !== undefined) guard.and(unlessExists, "Create", "==", 0)
      return guard.then(client.put(key).value(holder).lease(session.leaseId)).commit()
    })
    return result.succeeded ? Option.some<Fence>({ key, createRevision: result.header.revision }) : Option.none<Fence>()
  })

const holderOf = (key: string) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    return (yield* etcd.call("read lock", (client) => client.get(key).string())) ?? "nobody (just released)"
  })

const release = (fence: Fence) =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    yield* etcd.call("release lock", (client) =>
      client.if(fence.key, "Create", "==", fence.createRevision).then(client.delete().key(fence.key)).commit())
  }).pipe(Effect.ignore)

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
    return yield* Effect.acquireRelease(
      Effect.gen(function*() {
        const fence = yield* tryPut(key, holder, session)
        if (Option.isNone(fence)) return yield* new LockHeldError({ key, holder: yield* holderOf(key) })
        return fence.value
      }),
      release
    )
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
    return yield* Effect.acquireRelease(
      Effect.gen(function*() {
        const fence = yield* tryPut(readerKey, holder, session, keys.appLifecycleLock)
        if (Option.isNone(fence)) {
          return yield* new LockHeldError({ key: keys.appLifecycleLock, holder: yield* holderOf(keys.appLifecycleLock) })
        }
        return fence.value
      }),
      release
    )
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
    return yield* Effect.acquireRelease(
      Effect.gen(function*() {
        const claimed = yield* tryPut(key, holder, session)
        if (Option.isNone(claimed)) return yield* new LockHeldError({ key, holder: yield* holderOf(key) })
        const fence = claimed.value
        const drained = yield* etcd.call("count lock readers", (client) => client.getAll().prefix(readers).count()).pipe(
          Effect.repeat({ until: (count) => count === 0, schedule: Schedule.spaced("50 millis") }),
          Effect.timeoutOption(Duration.millis(drainTimeoutMs))
        )
        if (Option.isNone(drained)) {
          yield* release(fence)
          return yield* new LockHeldError({ key, holder: "reconciles still in progress" })
        }
        return fence
      }),
      release
    )
  })

/**
 * The three locks as a service, so the reconciler can run on etcd or, in service-level tests, on
 * the memory layer (same semantics: an instance lock is exclusive, app-lifecycle is shared for
 * creates and exclusive for tear-downs, an exclusive holder waits for earlier readers).
 */
export class Locks extends Context.Service<Locks, {
  readonly instance: (name: string, holder: string, session: EtcdSession) => Effect.Effect<Fence, LockHeldError | StoreError, Scope.Scope>
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
  return Locks.of({
    instance: (name, holder) =>
      Effect.acquireRelease(
        Effect.suspend(() => {
          const key = `locks/instance/${name}`
          const held = instances.get(name)
          if (held !== undefined) return Effect.fail(new LockHeldError({ key, holder: held }))
          instances.set(name, holder)
          return Effect.succeed(fence(key))
        }),
        () => Effect.sync(() => instances.delete(name))
      ),
    appLifecycleShared: (holder) =>
      Effect.acquireRelease(
        Effect.suspend(() => {
          if (writer !== undefined) return Effect.fail(new LockHeldError({ key: "locks/app-lifecycle", holder: writer }))
          const id = ++revision
          readers.set(id, holder)
          return Effect.succeed({ key: `locks/app-lifecycle/readers/${id}`, createRevision: String(id) })
        }),
        (held) => Effect.sync(() => readers.delete(Number(held.createRevision)))
      ),
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
