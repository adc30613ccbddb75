// The session's renew deadline against a real etcd: a holder must stop trusting its lease once a
// renewal is overdue, on the monotonic clock as well as the wall clock, so a host stepping the
// wall clock back cannot keep a holder acting after etcd has expired its lease (design.md §11).
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import { makeSession } from "../../src/store/EtcdSession.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { waitUntil } from "../harness/wait.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

describe("EtcdSession", () => {
  it("a renewal overdue on the monotonic clock loses the session, though the wall clock stands still", async () => {
    // A 30 s lease is kept alive every 10 s, so with a 1 s renew deadline it is overdue after 1 s:
    // the session must say so well before the next keep-alive, whatever the wall clock reads. The
    // wall clock here is stepped back a little on every reading (it shows the same moment forever).
    const stoppedAt = Date.now()
    const clocks = { wall: () => stoppedAt, monotonic: () => performance.now() }
    const outcome = await Effect.runPromise(
      Effect.gen(function*() {
        const session = yield* makeSession({ ttlSeconds: 30, renewDeadline: Duration.seconds(1), clocks })
        const validAtStart = yield* session.isValid
        // Well before the next keep-alive, 10 s after the grant.
        yield* Effect.promise(() => waitUntil("the session lost", () => Effect.runSync(session.isValid) === false, { timeoutMs: 8_000 }))
        return { validAtStart, remaining: yield* session.remainingMs }
      }).pipe(Effect.scoped, Effect.provide(Layer.fresh(etcdLayer(etcd, uniquePrefix("session")))))
    )
    assert.isTrue(outcome.validAtStart)
    assert.strictEqual(outcome.remaining, 0)
  })

  it("a session renewed in time stays valid while the wall clock is stepped back", async () => {
    let wallOffset = 0
    const clocks = { wall: () => Date.now() + wallOffset, monotonic: () => performance.now() }
    const outcome = await Effect.runPromise(
      Effect.gen(function*() {
        // A 6 s lease is renewed every 2 s, well within its 4 s renew deadline (a second's stall of
        // a busy test machine cannot lose it).
        const session = yield* makeSession({ ttlSeconds: 6, clocks })
        wallOffset = -60_000
        const samples: Array<boolean> = []
        const started = performance.now()
        yield* Effect.promise(() =>
          waitUntil("five seconds of renewals", () => {
            samples.push(Effect.runSync(session.isValid))
            return performance.now() - started > 5_000
          }, { timeoutMs: 10_000, intervalMs: 100 })
        )
        return samples
      }).pipe(Effect.scoped, Effect.provide(Layer.fresh(etcdLayer(etcd, uniquePrefix("session")))))
    )
    assert.isAbove(outcome.length, 10)
    assert.deepStrictEqual(outcome.filter((valid) => !valid), [])
  })
})
