import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Result, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import { EtcdClient, etcdRetry } from "../../src/store/EtcdClient.ts"
import type { EtcdSession } from "../../src/store/EtcdSession.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { makeKeys } from "../../src/store/Keys.ts"
import { Locks } from "../../src/store/Locks.ts"
import { storeError } from "../../src/store/StoreError.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawCount, rawCreateRevision, rawGet, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// A lock whose put was answered too late, or whose release never reached etcd, stays under the
// session's lease while the process lives. Such a leftover of this process is taken back; a lock
// held by a live pass of this process, by another holder or under another lease never is.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const worker = "controller@host/1"

/** Runs `body` with the etcd locks, a session, and the keys of a fresh prefix. */
const withLocks = <A>(
  label: string,
  body: (
    context: { locks: Locks["Service"]; session: EtcdSession; keys: ReturnType<typeof makeKeys>; etcd: EtcdClient["Service"] }
  ) => Effect.Effect<A, unknown, EtcdClient | Locks | Scope.Scope>,
  layer: (prefix: string) => Layer.Layer<EtcdClient, unknown> = (prefix) => etcdLayer(etcd, prefix)
) => {
  const prefix = uniquePrefix(label)
  return Effect.runPromise(Effect.scoped(
    Effect.gen(function*() {
      const locks = yield* Locks
      const client = yield* EtcdClient
      const session = yield* makeSession({ ttlSeconds: 10 })
      return yield* body({ locks, session, keys: makeKeys(prefix), etcd: client })
    }).pipe(Effect.provide(Locks.layerEtcd.pipe(Layer.provideMerge(layer(prefix)))))
  ))
}

/** What an acquire whose answer was lost leaves: the key, under `lease`, naming `holder`. */
const leaveBehind = (etcd: EtcdClient["Service"], key: string, holder: string, lease: string) =>
  etcd.call("leave a lock behind", (client) => client.put(key).value(holder).lease(lease).exec())

const refusal = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.map(Effect.result(Effect.scoped(effect)), (result) => Result.isFailure(result) ? result.failure._tag : "taken")

describe("locks left by this process", () => {
  it("an instance lock left under the session's lease is taken back with its own revision, and given back", () =>
    withLocks("leftover-instance", ({ locks, session, keys, etcd: client }) =>
      Effect.gen(function*() {
        const key = keys.instanceLock("web.main")
        yield* leaveBehind(client, key, worker, session.leaseId)
        const leftAt = yield* Effect.promise(() => rawCreateRevision(etcd, key))
        const pass = yield* Scope.make()
        const fence = yield* locks.instance("web.main", worker, session).pipe(Scope.provide(pass))
        assert.deepStrictEqual(fence, { key, createRevision: leftAt }, "the fence is the leftover's own create revision")
        // Taken back, it is held again: a second pass of the same instance is refused while the first runs.
        assert.strictEqual(yield* refusal(locks.instance("web.main", worker, session)), "LockHeldError")
        yield* Scope.close(pass, Exit.void)
        assert.isUndefined(yield* Effect.promise(() => rawGet(etcd, key)), "the end of the pass gives it back")
      })))

  it("a pass that expects to create takes back the instance lock and drops the reader left beside it", () =>
    withLocks("leftover-both", ({ locks, session, keys, etcd: client }) =>
      Effect.gen(function*() {
        const key = keys.instanceLock("web.main")
        const readers = `${keys.appLifecycleLock}/readers/`
        yield* leaveBehind(client, key, worker, session.leaseId)
        yield* leaveBehind(client, `${readers}${session.leaseId}-999`, worker, session.leaseId)
        // A reader another pass of this process holds right now stays.
        const other = yield* Scope.make()
        yield* locks.appLifecycleShared(worker, session).pipe(Scope.provide(other))
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, readers)), 2)

        const pass = yield* Scope.make()
        const held = yield* locks.instanceForCreate("web.main", worker, session).pipe(Scope.provide(pass))
        assert.strictEqual(held.instance.key, key)
        assert.isUndefined(held.shared, "taken back alone: a create asks for its reader again")
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, readers)), 1, "only the held reader is left")
        yield* Scope.close(pass, Exit.void)
        yield* Scope.close(other, Exit.void)
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${keys.appLifecycleLock}`)), 0)
        assert.isUndefined(yield* Effect.promise(() => rawGet(etcd, key)))
      })))

  it("is never taken from a live pass of this process, from another holder, or from another lease", () =>
    withLocks("not-leftovers", ({ locks, session, keys, etcd: client }) =>
      Effect.gen(function*() {
        // A live pass of this process, same holder, same session.
        const pass = yield* Scope.make()
        yield* locks.instance("web.main", worker, session).pipe(Scope.provide(pass))
        assert.strictEqual(yield* refusal(locks.instance("web.main", worker, session)), "LockHeldError")
        assert.strictEqual(yield* refusal(locks.instanceForCreate("web.main", worker, session)), "LockHeldError")
        yield* Scope.close(pass, Exit.void)

        // Under this session's lease, but another holder's (a manual reconcile sharing nothing).
        yield* leaveBehind(client, keys.instanceLock("api.main"), "reconcile@laptop/7", session.leaseId)
        assert.strictEqual(yield* refusal(locks.instance("api.main", worker, session)), "LockHeldError")

        // The same holder name under another lease: a process of the same identity, or an earlier term.
        const earlier = yield* makeSession({ ttlSeconds: 10 })
        yield* leaveBehind(client, keys.instanceLock("db.main"), worker, earlier.leaseId)
        assert.strictEqual(yield* refusal(locks.instance("db.main", worker, session)), "LockHeldError")
        assert.strictEqual(yield* refusal(locks.instanceForCreate("db.main", worker, session)), "LockHeldError")
        assert.strictEqual(yield* refusal(locks.appLifecycleExclusive(worker, session, 100)), "taken")
      })))

  it("a tear-down drops readers this process left, and still waits for the ones its passes hold", () =>
    withLocks("leftover-readers", ({ locks, session, keys, etcd: client }) =>
      Effect.gen(function*() {
        const readers = `${keys.appLifecycleLock}/readers/`
        yield* leaveBehind(client, `${readers}${session.leaseId}-998`, worker, session.leaseId)
        assert.strictEqual(yield* refusal(locks.appLifecycleExclusive("cleanup", session, 2_000)), "taken")
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, readers)), 0)

        const pass = yield* Scope.make()
        yield* locks.appLifecycleShared(worker, session).pipe(Scope.provide(pass))
        assert.strictEqual(yield* refusal(locks.appLifecycleExclusive("cleanup", session, 200)), "LockHeldError")
        yield* Scope.close(pass, Exit.void)
      })))

  it("a release etcd did not answer is sent again", () => {
    let releases = 0
    // The first release fails as a call to a member that does not answer would; the others pass through.
    const flakyRelease = (prefix: string) =>
      Layer.effect(
        EtcdClient,
        Effect.map(EtcdClient, (real) => {
          const call: EtcdClient["Service"]["call"] = (operation, f) =>
            Effect.suspend(() =>
              operation === "release lock" && ++releases === 1
                ? Effect.fail(storeError("Timeout", real.endpoints, operation, new Error("deadline exceeded")))
                : real.call(operation, f)
            )
          return EtcdClient.of({ ...real, call, callIdempotent: (operation, f) => call(operation, f).pipe(Effect.retry(etcdRetry(3))) })
        })
      ).pipe(Layer.provide(etcdLayer(etcd, prefix)))
    return withLocks("release-again", ({ locks, session, keys }) =>
      Effect.gen(function*() {
        yield* Effect.scoped(locks.instance("web.main", worker, session))
        assert.strictEqual(releases, 2)
        assert.isUndefined(yield* Effect.promise(() => rawGet(etcd, keys.instanceLock("web.main"))))
      }), flakyRelease)
  })
})
