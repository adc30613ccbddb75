// `cleanup approve`'s write when etcd does not answer it (approveTeardowns on the etcd ledger,
// against a real etcd): a write that landed, whose approval the controller used before the answer
// was missed, is not written again; one that never reached etcd is sent again and lands once.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import { approveTeardowns } from "../../src/cleanup/ApproveTeardowns.ts"
import { CleanupLedger, updateLedger } from "../../src/cleanup/CleanupLedger.ts"
import type { Ledger } from "../../src/cleanup/DeletionBudget.ts"
import { etcdCleanupLedgerLayer } from "../../src/store/EtcdCleanupLedger.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { StoreError } from "../../src/store/StoreError.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

type FirstWrite = "lands, answer lost" | "never sent"

/** The controller admitting `name` on its approval, through the same ledger: the approval is used. */
const admit = (name: string) =>
  updateLedger((ledger: Ledger) => ({
    next: ledger.approved.includes(name)
      ? { ...ledger, approved: ledger.approved.filter((each) => each !== name), admitted: [...ledger.admitted, { name, at: Date.now() }] }
      : undefined,
    result: undefined
  }))

/** The real etcd ledger, its first write treated as `first` says; after a landed one, `meanwhile` runs. */
const ledgerWith = (prefix: string, first: FirstWrite, meanwhile: Effect.Effect<void, unknown, CleanupLedger>) => {
  const writes = { count: 0 }
  const real = Layer.fresh(etcdLayer(etcd, prefix))
  // Fresh: the controller's ledger must not be the wrapped one memoized for the approval.
  const plain = Layer.fresh(etcdCleanupLedgerLayer).pipe(Layer.provide(Layer.fresh(etcdLayer(etcd, prefix))))
  const client = Layer.effect(
    EtcdClient,
    Effect.gen(function*() {
      const etcdClient = yield* EtcdClient
      const call: EtcdClient["Service"]["call"] = (operation, f) =>
        operation !== "write cleanup ledger" ? etcdClient.call(operation, f) : Effect.suspend(() => {
          if (++writes.count > 1) return etcdClient.call(operation, f)
          const lost = new StoreError({
            reason: first === "never sent" ? "Unavailable" : "Timeout",
            endpoint: "test",
            operation,
            message: "etcd did not answer"
          })
          return first === "never sent"
            ? Effect.fail(lost)
            : etcdClient.call(operation, f).pipe(
              Effect.andThen(meanwhile.pipe(Effect.provide(plain), Effect.orDie)),
              Effect.andThen(Effect.fail(lost))
            )
        })
      return EtcdClient.of({ ...etcdClient, call })
    })
  ).pipe(Layer.provide(real))
  return { writes, layer: etcdCleanupLedgerLayer.pipe(Layer.provide(client)), plain }
}

const readLedger = Effect.gen(function*() {
  return yield* (yield* CleanupLedger).read
})

describe("cleanup approve when etcd does not answer (etcd ledger)", () => {
  it.live("a write that landed and whose approval the controller used is not written again", () =>
    Effect.gen(function*() {
      const { writes, layer, plain } = ledgerWith(uniquePrefix("approve-lost"), "lands, answer lost", admit("web.canary"))
      const result = yield* Effect.result(approveTeardowns(["web.canary"]).pipe(Effect.provide(layer)))
      assert.isTrue(Result.isSuccess(result))
      const { ledger } = yield* readLedger.pipe(Effect.provide(plain))
      assert.deepStrictEqual(ledger.approved, [], "an approval was left waiting for the next deletion of web.canary")
      assert.deepStrictEqual(ledger.admitted.map((entry) => entry.name), ["web.canary"])
      assert.strictEqual(writes.count, 1)
    }))

  it.live("a write that never reached etcd is sent again and lands once", () =>
    Effect.gen(function*() {
      const { writes, layer, plain } = ledgerWith(uniquePrefix("approve-unsent"), "never sent", Effect.void)
      assert.isTrue(Result.isSuccess(yield* Effect.result(approveTeardowns(["web.canary"]).pipe(Effect.provide(layer)))))
      const { ledger } = yield* readLedger.pipe(Effect.provide(plain))
      assert.deepStrictEqual(ledger.approved, ["web.canary"])
      assert.strictEqual(writes.count, 2)
    }))
})
