// MemberPulse (src/store/MemberPulse.ts): informers on one member share its probe reads, but an
// informer never takes the answer to a read begun before its own previous probe — so two failed
// probes in a row are always two reads that failed — and members are never mixed up.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer } from "effect"
import type { Etcd3 } from "etcd3"
import { TestClock } from "effect/testing"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { MemberPulse } from "../../src/store/MemberPulse.ts"
import { storeError } from "../../src/store/StoreError.ts"

/**
 * An EtcdClient over two members whose connections' reads wait until the test opens the gate:
 * each read gets the next revision (1, 2, …), or fails while `fail(true)` holds. Every read's
 * member is written down.
 */
const scriptedEtcd = () =>
  Effect.gen(function*() {
    const reads: Array<number> = []
    let open: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (open = resolve))
    let failing = false
    // A connection to one member: its reads are written down and wait for the gate.
    const connection = (member: number) => ({
      get: () => ({
        options: () => ({
          exec: async () => {
            reads.push(member)
            const revision = reads.length
            await gate
            if (failing) throw new Error("frozen")
            return { header: { revision: String(revision) } }
          }
        })
      })
    })
    const connections = [connection(0), connection(1)] as unknown as ReadonlyArray<Etcd3>
    const etcd = EtcdClient.of({
      client: undefined as unknown as Etcd3,
      prefix: "/pulse",
      endpoints: "http://a:2379,http://b:2379",
      call: ((operation: string, f: (client: Etcd3) => Promise<unknown>) =>
        Effect.tryPromise({
          try: () => f(undefined as unknown as Etcd3),
          catch: (error) => storeError("Unavailable", "http://a:2379", operation, error)
        })) as EtcdClient["Service"]["call"],
      callIdempotent: (() => Effect.die("not used")) as EtcdClient["Service"]["callIdempotent"],
      dedicated: (attempt) => Effect.succeed(connections[attempt % 2]!)
    })
    return {
      layer: MemberPulse.layer.pipe(Layer.provide(Layer.succeed(EtcdClient, etcd))),
      reads,
      /** Lets every read answer, from now on. */
      open: Effect.sync(() => open()),
      fail: (on: boolean) => Effect.sync(() => void (failing = on))
    }
  })

describe("MemberPulse", () => {
  it.effect("shares a read among the probes made while it runs, and begins another after a caller's previous probe", () =>
    Effect.gen(function*() {
      const etcd = yield* scriptedEtcd()
      yield* Effect.gen(function*() {
        const pulse = yield* MemberPulse
        yield* TestClock.adjust("1 second")
        // Two informers probe while one read is in flight: one read, one answer.
        const first = yield* Effect.forkChild(pulse.revision(0, 0, 500))
        const second = yield* Effect.forkChild(pulse.revision(0, 500, 500))
        yield* Effect.yieldNow
        yield* etcd.open
        assert.strictEqual(yield* Fiber.join(first), 1n)
        assert.strictEqual(yield* Fiber.join(second), 1n)
        assert.deepStrictEqual(etcd.reads, [0])
        // Its next probe, at the same instant its last one began: that read is not taken again.
        assert.strictEqual(yield* pulse.revision(0, 1_000, 500), 2n)
        assert.strictEqual(etcd.reads.length, 2)
        // Another informer whose previous probe came before that read takes its answer.
        yield* TestClock.adjust("400 millis")
        assert.strictEqual(yield* pulse.revision(0, 600, 500), 2n)
        assert.strictEqual(etcd.reads.length, 2)
        // The other member is asked on its own.
        assert.strictEqual(yield* pulse.revision(3, 0, 500), 3n)
        assert.deepStrictEqual(etcd.reads, [0, 0, 1])
      }).pipe(Effect.provide(etcd.layer))
    }))

  it.effect("gives a failed read to every probe waiting on it, and two probes in a row two reads", () =>
    Effect.gen(function*() {
      const etcd = yield* scriptedEtcd()
      yield* Effect.gen(function*() {
        const pulse = yield* MemberPulse
        yield* etcd.fail(true)
        yield* TestClock.adjust("1 second")
        const first = yield* Effect.forkChild(Effect.exit(pulse.revision(0, 0, 500)))
        const second = yield* Effect.forkChild(Effect.exit(pulse.revision(0, 0, 500)))
        yield* Effect.yieldNow
        yield* etcd.open
        assert.isTrue(Exit.isFailure(yield* Fiber.join(first)))
        assert.isTrue(Exit.isFailure(yield* Fiber.join(second)))
        assert.strictEqual(etcd.reads.length, 1)
        // The same informer's next probe, one interval on: a read of its own, which fails too.
        yield* TestClock.adjust("1 second")
        assert.isTrue(Exit.isFailure(yield* Effect.exit(pulse.revision(0, 1_000, 500))))
        assert.strictEqual(etcd.reads.length, 2)
        // The member answers again: so does the next read.
        yield* etcd.fail(false)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* pulse.revision(0, 2_000, 500), 3n)
      }).pipe(Effect.provide(etcd.layer))
    }))
})
