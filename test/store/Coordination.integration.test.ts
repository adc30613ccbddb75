import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Result, Scope } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { Leadership, runAsLeader } from "../../src/store/Leadership.ts"
import type { Leader } from "../../src/store/Leadership.ts"
import { acquireAppLifecycleExclusive, acquireAppLifecycleShared, acquireInstanceLock } from "../../src/store/Locks.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawDeletePrefix, rawGet, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { waitUntil } from "../harness/wait.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

/** A separate etcd client per "process", as two controllers would have. */
const client = (prefix: string) => Layer.fresh(etcdLayer(etcd, prefix))

/** `client`, recording whether each leader campaign (the create-if-absent transaction) won. */
const recordingCampaigns = (prefix: string, identity: string, campaigns: Array<{ identity: string; won: boolean }>) =>
  Layer.effect(
    EtcdClient,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      return EtcdClient.of({
        ...etcd,
        call: <A>(operation: string, f: (client: EtcdClient["Service"]["client"]) => Promise<A>) =>
          etcd.call(operation, f).pipe(Effect.tap((answer) =>
            Effect.sync(() => {
              if (operation === "campaign") campaigns.push({ identity, won: (answer as { succeeded: boolean }).succeeded })
            })
          ))
      })
    })
  ).pipe(Layer.provide(client(prefix)))

describe("instance locks", () => {
  it("lets one holder in, refuses a second at once, and frees on release", async () => {
    const prefix = uniquePrefix("lock")
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const session = yield* makeSession({ ttlSeconds: 5 })
        const scope = yield* Scope.make()
        const first = yield* acquireInstanceLock("web.main", "worker-a", session).pipe(Scope.provide(scope))
        const second = yield* Effect.result(Effect.scoped(acquireInstanceLock("web.main", "worker-b", session)))
        const other = yield* Effect.result(Effect.scoped(acquireInstanceLock("api.main", "worker-b", session)))
        yield* Scope.close(scope, Exit.void)
        const afterRelease = yield* Effect.result(Effect.scoped(acquireInstanceLock("web.main", "worker-b", session)))
        return { first, second, other, afterRelease }
      }).pipe(Effect.scoped, Effect.provide(client(prefix)))
    )
    assert.strictEqual(result.first.key, `${prefix}/locks/instance/web.main`)
    assert.isTrue(Result.isFailure(result.second))
    if (Result.isFailure(result.second)) {
      assert.strictEqual(result.second.failure._tag, "LockHeldError")
      assert.include((result.second.failure as { holder: string }).holder, "worker-a")
    }
    assert.isTrue(Result.isSuccess(result.other))
    assert.isTrue(Result.isSuccess(result.afterRelease))
  })

  it("frees a crashed holder's lock when its lease expires", async () => {
    const prefix = uniquePrefix("crash")
    const holder = spawn(process.execPath, [
      join(import.meta.dirname, "..", "harness", "lockHolder.ts"),
      etcd.endpoints,
      prefix,
      "web.main",
      "2"
    ], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    holder.stdout.on("data", (chunk) => (output += chunk))
    await waitUntil("child holds the lock", () => output.includes("locked"))
    const tryTake = () =>
      Effect.runPromise(
        Effect.gen(function*() {
          const session = yield* makeSession({ ttlSeconds: 5 })
          return yield* Effect.result(acquireInstanceLock("web.main", "survivor", session))
        }).pipe(Effect.scoped, Effect.provide(client(prefix)))
      )
    assert.isTrue(Result.isFailure(await tryTake()), "the lock is held while the child lives")
    holder.kill("SIGKILL")
    const killedAt = performance.now()
    await waitUntil("lock free after the TTL", async () => Result.isSuccess(await tryTake()), { timeoutMs: 10_000 })
    // Freed by lease expiry, not instantly: the holder never released it.
    assert.isAbove(performance.now() - killedAt, 1_000)
  })
})

describe("app-lifecycle lock", () => {
  it("admits many shared holders, refuses shared while exclusive is held, and exclusive waits for shared", async () => {
    const prefix = uniquePrefix("rw")
    await Effect.runPromise(
      Effect.gen(function*() {
        const session = yield* makeSession({ ttlSeconds: 5 })
        const readers = yield* Scope.make()
        yield* acquireAppLifecycleShared("r1", session).pipe(Scope.provide(readers))
        yield* acquireAppLifecycleShared("r2", session).pipe(Scope.provide(readers))
        const blocked = yield* Effect.result(Effect.scoped(acquireAppLifecycleExclusive("cleanup", session, 200)))
        assert.isTrue(Result.isFailure(blocked), "exclusive must not be granted while shared holders remain")
        const writer = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
          yield* acquireAppLifecycleExclusive("cleanup", session, 5_000)
          const shared = yield* Effect.result(Effect.scoped(acquireAppLifecycleShared("r3", session)))
          return Result.isFailure(shared)
        })))
        yield* Scope.close(readers, Exit.void)
        const sharedRefusedDuringExclusive = yield* Fiber.join(writer)
        assert.isTrue(sharedRefusedDuringExclusive)
        const sharedAfter = yield* Effect.result(Effect.scoped(acquireAppLifecycleShared("r4", session)))
        assert.isTrue(Result.isSuccess(sharedAfter))
      }).pipe(Effect.scoped, Effect.provide(client(prefix)))
    )
  })
})

describe("leader election", () => {
  it("elects exactly one of two candidates and hands over when the leader stops", async () => {
    const prefix = uniquePrefix("leader")
    const leading = new Set<string>()
    const leaders: Array<string> = []
    let mostAtOnce = 0
    // Every campaign's outcome as etcd answered it, so the test knows both candidates have tried.
    const campaigns: Array<{ readonly identity: string; readonly won: boolean }> = []
    const candidate = (identity: string) =>
      Effect.runFork(
        runAsLeader({ identity, ttlSeconds: 2 }, () =>
          Effect.acquireRelease(
            Effect.sync(() => {
              leading.add(identity)
              leaders.push(identity)
              mostAtOnce = Math.max(mostAtOnce, leading.size)
            }),
            () => Effect.sync(() => leading.delete(identity))
          ).pipe(Effect.andThen(Effect.never), Effect.scoped)).pipe(
            Effect.provide(Leadership.layerEtcd.pipe(Layer.provideMerge(recordingCampaigns(prefix, identity, campaigns))))
          )
      )
    const a = candidate("a")
    const b = candidate("b")
    const winners = () => campaigns.filter((campaign) => campaign.won)
    await waitUntil(
      "both candidates campaigned and every winner is at work",
      () => new Set(campaigns.map((campaign) => campaign.identity)).size === 2 && leading.size === winners().length
    )
    assert.deepStrictEqual(winners().map((campaign) => campaign.identity), [...leading])
    assert.strictEqual(leading.size, 1)
    const first = [...leading][0]!
    assert.strictEqual(JSON.parse((await rawGet(etcd, `${prefix}/leader`))!).identity, first)
    await Effect.runPromise(Fiber.interrupt(first === "a" ? a : b))
    await waitUntil("the other takes over", () => leading.size === 1 && !leading.has(first), { timeoutMs: 10_000 })
    assert.deepStrictEqual(leaders, [first, first === "a" ? "b" : "a"])
    assert.strictEqual(mostAtOnce, 1)
    await Effect.runPromise(Fiber.interrupt(first === "a" ? b : a))
  })

  it("fences status writes: a leader whose key is gone cannot write", async () => {
    const prefix = uniquePrefix("fence")
    let captured: Leader | undefined
    const fiber = Effect.runFork(
      runAsLeader({ identity: "only", ttlSeconds: 2 }, (leader) =>
        Effect.sync(() => {
          captured = leader
        })).pipe(Effect.provide(Leadership.layerEtcd.pipe(Layer.provideMerge(client(prefix)))))
    )
    const leader = await waitUntil("elected", () => captured)
    const statusLayer = StatusStore.layerNoDeps.pipe(Layer.provideMerge(client(prefix)))
    const write = (fence: Leader["fence"]) =>
      Effect.runPromise(
        Effect.result(Effect.gen(function*() {
          const statuses = yield* StatusStore
          yield* statuses.put("web.main" as InstanceName, { phase: "Running" }, [fence])
          return yield* statuses.get("web.main" as InstanceName)
        })).pipe(Effect.provide(statusLayer))
      )
    const ok = await write(leader.fence)
    assert.isTrue(Result.isSuccess(ok) && Option.isSome(ok.success))
    const forged = await write({ ...leader.fence, createRevision: "1" })
    assert.isTrue(Result.isFailure(forged) && forged.failure._tag === "FenceLostError")
    // The key goes (an operator deletes it, or its lease expires): the holder's own fence is dead.
    await rawDeletePrefix(etcd, leader.fence.key)
    const afterDelete = await write(leader.fence)
    assert.isTrue(Result.isFailure(afterDelete) && afterDelete.failure._tag === "FenceLostError")
    // The process campaigns again and wins a new term; the old term's fence stays dead.
    const next = await waitUntil("elected again", () => captured !== leader && captured)
    assert.notStrictEqual(next.fence.createRevision, leader.fence.createRevision)
    const stale = await write(leader.fence)
    assert.isTrue(Result.isFailure(stale) && stale.failure._tag === "FenceLostError")
    const renewed = await write(next.fence)
    assert.isTrue(Result.isSuccess(renewed) && Option.isSome(renewed.success))
    await Effect.runPromise(Fiber.interrupt(fiber))
  })
})
