// `delete`'s transaction when etcd does not answer it (SpecStore.removeAll, etcd layer, against a
// real etcd): a delete that landed is reported deleted, not refused by its own guard when sent
// again; one that never reached etcd is sent again; a spec changed by someone else meanwhile is a
// conflict with nothing deleted a second time; a failure that is not transient is never repeated.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { etcdSpecStoreLayer } from "../../src/store/EtcdSpecStore.ts"
import { makeKeys } from "../../src/store/Keys.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { StoreError } from "../../src/store/StoreError.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const doc = (name: string): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: name as InstanceName },
  spec: { image: `${name}:1`, instances: 1 }
})
const names = ["web.main", "api.main"] as ReadonlyArray<InstanceName>

/**
 * What happens to the first delete transaction: it lands and its answer is lost; it never reaches
 * etcd (with `meanwhile` run first: someone else's write); or it fails for good.
 */
type FirstDelete =
  | { readonly kind: "lands, answer lost" }
  | { readonly kind: "never sent"; readonly meanwhile?: (prefix: string) => Promise<void> }
  | { readonly kind: "refused for good" }

const unanswered = (operation: string, reason: StoreError["reason"]) =>
  new StoreError({ reason, endpoint: "test", operation, message: `etcd did not answer (${reason})` })

/** The real etcd layers, with the first "delete" call treated as `first` says; counts the sends. */
const storeWith = (prefix: string, first: FirstDelete) => {
  const sends = { count: 0 }
  const client = Layer.effect(
    EtcdClient,
    Effect.gen(function*() {
      const real = yield* EtcdClient
      // Decided when the call runs (as the real one is), not when it is built: a repeat runs it again.
      const call: EtcdClient["Service"]["call"] = (operation, f) =>
        operation !== "delete" ? real.call(operation, f) : Effect.suspend(() => deleteCall(operation, f))
      const deleteCall: EtcdClient["Service"]["call"] = (operation, f) => {
        sends.count++
        if (sends.count > 1) return real.call(operation, f)
        switch (first.kind) {
          case "lands, answer lost":
            return real.call(operation, f).pipe(Effect.andThen(Effect.fail(unanswered(operation, "Timeout"))))
          case "never sent":
            return Effect.promise(() => first.meanwhile?.(prefix) ?? Promise.resolve()).pipe(
              Effect.andThen(Effect.fail(unanswered(operation, "Unavailable")))
            )
          case "refused for good":
            return Effect.fail(unanswered(operation, "PermissionDenied"))
        }
      }
      return EtcdClient.of({ ...real, call })
    })
  ).pipe(Layer.provide(Layer.fresh(etcdLayer(etcd, prefix))))
  return { sends, layer: etcdSpecStoreLayer.pipe(Layer.provideMerge(client)) }
}

/** Creates both specs, then deletes them with the first delete call treated as `first` says. */
const deleteBoth = (label: string, first: FirstDelete) =>
  Effect.gen(function*() {
    const prefix = uniquePrefix(label)
    const { sends, layer } = storeWith(prefix, first)
    return yield* Effect.gen(function*() {
      const store = yield* SpecStore
      for (const name of names) yield* store.apply(doc(name))
      const outcome = yield* Effect.result(store.removeAll(names))
      const left = (yield* store.list()).items.map((item) => item.metadata.name).sort()
      return { outcome, left, sends: sends.count, prefix }
    }).pipe(Effect.provide(layer))
  })

describe("SpecStore.removeAll when etcd does not answer the delete", () => {
  it.live("reports a delete that landed as deleted, and sends it once", () =>
    Effect.gen(function*() {
      const { outcome, left, sends } = yield* deleteBoth("delete-landed", { kind: "lands, answer lost" })
      assert.isTrue(Result.isSuccess(outcome), String(Result.isFailure(outcome) && outcome.failure))
      assert.deepStrictEqual(Result.getOrThrow(outcome), { removed: [...names], missing: [] })
      assert.deepStrictEqual(left, [])
      assert.strictEqual(sends, 1, "not sent again once the keys were seen gone")
    }))

  it.live("sends a delete that never reached etcd again", () =>
    Effect.gen(function*() {
      const { outcome, left, sends } = yield* deleteBoth("delete-resent", { kind: "never sent" })
      assert.deepStrictEqual(Result.getOrThrow(outcome), { removed: [...names], missing: [] })
      assert.deepStrictEqual(left, [])
      assert.strictEqual(sends, 2)
    }))

  it.live("tells a spec changed meanwhile as a conflict, and deletes nothing", () =>
    Effect.gen(function*() {
      const { outcome, left, sends } = yield* deleteBoth("delete-changed", {
        kind: "never sent",
        // Someone else's write to one of the two specs, between the unanswered delete and its check.
        meanwhile: (prefix) =>
          rawPut(
            etcd,
            makeKeys(prefix).spec("api.main"),
            JSON.stringify({
              ...doc("api.main"),
              metadata: {
                name: "api.main",
                uid: "00000000-0000-4000-8000-000000000000",
                generation: 1,
                creationTimestamp: "2026-01-01T00:00:00Z"
              }
            })
          )
      })
      assert.isTrue(Result.isFailure(outcome))
      const failure = Result.isFailure(outcome) ? outcome.failure : undefined
      assert.strictEqual(failure?._tag, "SpecConflictError")
      assert.match(String(failure?.message), /did not answer the delete/)
      assert.deepStrictEqual(left, ["api.main", "web.main"])
      assert.strictEqual(sends, 1, "not sent again")
    }))

  it.live("never repeats a delete that failed for good", () =>
    Effect.gen(function*() {
      const { outcome, left, sends } = yield* deleteBoth("delete-refused", { kind: "refused for good" })
      assert.isTrue(Result.isFailure(outcome))
      const failure = Result.isFailure(outcome) ? outcome.failure : undefined
      assert.strictEqual(failure?._tag, "StoreError")
      assert.deepStrictEqual(left, ["api.main", "web.main"])
      assert.strictEqual(sends, 1)
    }))
})
