import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Result, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { EtcdClient } from "../../src/store/EtcdClient.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { Locks } from "../../src/store/Locks.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { currentRevision, etcdLayer, rawCount, rawDeletePrefix, rawGet, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// The instance lock for a pass that expects to create: with an app-lifecycle reader in the same
// transaction, so a create waits on one etcd round trip instead of two, and the rules of the two
// locks hold as when each is taken alone — on etcd and in the memory layer alike.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const onEtcd = (prefix: string) => Locks.layerEtcd.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))

/** The rules, through the service: the same for both layers. */
const rules = (layer: Layer.Layer<Locks | EtcdClient, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    const locks = Context.get(context, Locks)
    const session = yield* makeSession({ ttlSeconds: 5 }).pipe(Effect.provideContext(context))
    const exclusiveRefused = Effect.map(
      Effect.result(Effect.scoped(locks.appLifecycleExclusive("cleanup", session, 150))),
      Result.isFailure
    )

    // Both held: a second holder of the instance is refused and named, a tear-down waits for the reader.
    const pass = yield* Scope.make()
    const held = yield* locks.instanceForCreate("web.main", "worker-a", session).pipe(Scope.provide(pass))
    assert.isDefined(held.shared, "no tear-down holds app-lifecycle: the reader comes with the lock")
    const second = yield* Effect.result(Effect.scoped(locks.instanceForCreate("web.main", "worker-b", session)))
    assert.isTrue(Result.isFailure(second) && second.failure._tag === "LockHeldError" && second.failure.holder.includes("worker-a"))
    assert.isTrue(yield* exclusiveRefused, "a tear-down must wait for the create's reader")

    // The reader given back early: a tear-down may go ahead while the instance lock is still held.
    yield* held.releaseShared
    const alone = yield* Effect.result(Effect.scoped(locks.instance("web.main", "worker-b", session)))
    assert.isTrue(Result.isFailure(alone), "the instance lock stays until the scope ends")
    assert.isFalse(yield* exclusiveRefused, "no reader is left once it was given back")
    yield* Scope.close(pass, Exit.void)
    const free = yield* Effect.result(Effect.scoped(locks.instance("web.main", "worker-b", session)))
    assert.isTrue(Result.isSuccess(free), "the scope's end frees the instance lock")

    // While a tear-down holds app-lifecycle: the instance lock alone, and a create must still ask.
    const teardown = yield* Scope.make()
    yield* locks.appLifecycleExclusive("cleanup", session, 1_000).pipe(Scope.provide(teardown))
    const during = yield* Effect.scoped(Effect.gen(function*() {
      const locked = yield* locks.instanceForCreate("api.main", "worker-a", session)
      const otherHolder = yield* Effect.result(Effect.scoped(locks.instance("api.main", "worker-b", session)))
      const create = yield* Effect.result(Effect.scoped(locks.appLifecycleShared("worker-a", session)))
      return { shared: locked.shared, instanceHeld: Result.isFailure(otherHolder), createRefused: Result.isFailure(create) }
    }))
    assert.deepStrictEqual(during, { shared: undefined, instanceHeld: true, createRefused: true })
    yield* Scope.close(teardown, Exit.void)
  })))

describe("the instance lock for a create", () => {
  it("keeps the rules of both locks on etcd", () => rules(onEtcd(uniquePrefix("locks-for-create"))))
  it("keeps the same rules in the memory layer", () => rules(Layer.merge(Locks.layerMemory, etcdLayer(etcd, uniquePrefix("memory-locks")))))

  it("takes both in one etcd transaction and gives both back in one", async () => {
    const prefix = uniquePrefix("locks-one-txn")
    await Effect.runPromise(Effect.scoped(
      Effect.gen(function*() {
        const locks = yield* Locks
        const session = yield* makeSession({ ttlSeconds: 5 })
        const before = yield* Effect.promise(() => currentRevision(etcd))
        const pass = yield* Scope.make()
        const held = yield* locks.instanceForCreate("web.main", "worker-a", session).pipe(Scope.provide(pass))
        const taken = yield* Effect.promise(() => currentRevision(etcd))
        assert.strictEqual(Number(taken - before), 1, "one transaction for both keys")
        assert.strictEqual(held.shared?.createRevision, held.instance.createRevision)
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${prefix}/locks/`)), 2)
        yield* Scope.close(pass, Exit.void)
        const released = yield* Effect.promise(() => currentRevision(etcd))
        assert.strictEqual(Number(released - taken), 1, "one transaction gives both back")
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${prefix}/locks/`)), 0)
      }).pipe(Effect.provide(onEtcd(prefix)))
    ))
  })

  it("the pass's last status write gives both back in its own transaction; the scope's end then asks etcd nothing", async () => {
    const prefix = uniquePrefix("locks-given-back")
    const status: InstanceStatus = { observedGeneration: 1, phase: "Running" }
    const web = "web.main" as InstanceName
    await Effect.runPromise(Effect.scoped(
      Effect.gen(function*() {
        const locks = yield* Locks
        const statuses = yield* StatusStore
        const session = yield* makeSession({ ttlSeconds: 5 })
        const pass = yield* Scope.make()
        const held = yield* locks.instanceForCreate("web.main", "worker-a", session).pipe(Scope.provide(pass))
        const taken = yield* Effect.promise(() => currentRevision(etcd))
        const giveBack = held.keysToGiveBack()
        assert.deepStrictEqual(giveBack, [held.instance, held.shared!])
        yield* statuses.put(web, status, [held.instance], giveBack)
        assert.strictEqual(
          Number((yield* Effect.promise(() => currentRevision(etcd))) - taken),
          1,
          "status and both locks: one transaction"
        )
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${prefix}/locks/`)), 0)
        assert.include(yield* Effect.promise(() => rawGet(etcd, `${prefix}/status/web.main`)), "Running")
        yield* held.givenBack
        assert.deepStrictEqual(held.keysToGiveBack(), [])
        const txns = yield* Effect.promise(() => transactions(etcd))
        yield* Scope.close(pass, Exit.void)
        assert.strictEqual(yield* Effect.promise(() => transactions(etcd)), txns, "nothing left to give back")

        // The instance lock lost before the write: nothing is written or deleted, and the scope's
        // end gives back what is still held (the reader).
        const again = yield* Scope.make()
        const second = yield* locks.instanceForCreate("web.main", "worker-a", session).pipe(Scope.provide(again))
        yield* Effect.promise(() => rawDeletePrefix(etcd, second.instance.key))
        const lost = yield* Effect.result(statuses.put(web, { ...status, phase: "Bouncing" }, [second.instance], second.keysToGiveBack()))
        assert.isTrue(Result.isFailure(lost) && lost.failure._tag === "FenceLostError")
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${prefix}/locks/`)), 1, "the reader is still held")
        assert.include(yield* Effect.promise(() => rawGet(etcd, `${prefix}/status/web.main`)), "Running")
        yield* Scope.close(again, Exit.void)
        assert.strictEqual(yield* Effect.promise(() => rawCount(etcd, `${prefix}/locks/`)), 0)
      }).pipe(Effect.provide(Layer.merge(Locks.layerEtcd, StatusStore.layerNoDeps).pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))))
    ))
  })

  it("in the memory layer, given back frees both at once, before the scope's end", () =>
    Effect.runPromise(Effect.scoped(
      Effect.gen(function*() {
        const locks = yield* Locks
        const session = yield* makeSession({ ttlSeconds: 5 })
        const pass = yield* Scope.make()
        const held = yield* locks.instanceForCreate("web.main", "worker-a", session).pipe(Scope.provide(pass))
        assert.lengthOf(held.keysToGiveBack(), 2)
        yield* held.givenBack
        const other = yield* Effect.result(Effect.scoped(locks.instance("web.main", "worker-b", session)))
        assert.isTrue(Result.isSuccess(other), "the instance lock is free")
        assert.isFalse(
          yield* Effect.map(Effect.result(Effect.scoped(locks.appLifecycleExclusive("cleanup", session, 150))), Result.isFailure),
          "no reader is left"
        )
        yield* Scope.close(pass, Exit.void)
      }).pipe(Effect.provide(Layer.merge(Locks.layerMemory, etcdLayer(etcd, uniquePrefix("memory-given-back")))))
    )))
})

/** Transactions etcd has answered so far (its own metrics). */
const transactions = async (cluster: EtcdCluster): Promise<number> => {
  const text = await (await fetch(`${cluster.endpoints.split(",")[0]}/metrics`)).text()
  const line = text.split("\n").find((row) =>
    row.startsWith("grpc_server_handled_total") && row.includes("grpc_method=\"Txn\"") && row.includes("grpc_code=\"OK\"")
  )
  return Number(line?.split(" ").pop() ?? Number.NaN)
}
