import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { specStoreLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const doc = (name: string, image: string, labels?: Record<string, string>): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: name as InstanceName, ...(labels === undefined ? {} : { labels }) },
  spec: { image, instances: 2 }
})

const run = <A, E>(label: string, body: Effect.Effect<A, E, SpecStore>) =>
  Effect.runPromise(body.pipe(Effect.provide(specStoreLayer(etcd, uniquePrefix(label)))))

describe("SpecStore against a real etcd", () => {
  it("creates with generation 1 and resourceVersion = the key's mod revision", () =>
    run(
      "create",
      Effect.gen(function*() {
        const store = yield* SpecStore
        const created = yield* store.apply(doc("web.main", "web:1"))
        assert.strictEqual(created.action, "created")
        assert.strictEqual(created.instance.metadata.generation, 1)
        const read = yield* store.get("web.main" as InstanceName)
        assert.isTrue(Option.isSome(read))
        assert.strictEqual(Option.getOrThrow(read).metadata.resourceVersion, created.instance.metadata.resourceVersion)
        assert.match(created.instance.metadata.uid, /^[0-9a-f-]{36}$/)
      })
    ))

  it("bumps generation only when spec changes; resourceVersion on every write", () =>
    run(
      "generation",
      Effect.gen(function*() {
        const store = yield* SpecStore
        const first = yield* store.apply(doc("web.main", "web:1"))
        const same = yield* store.apply(doc("web.main", "web:1"))
        assert.strictEqual(same.action, "unchanged")
        assert.strictEqual(same.instance.metadata.resourceVersion, first.instance.metadata.resourceVersion)

        const relabelled = yield* store.apply(doc("web.main", "web:1", { team: "payments" }))
        assert.strictEqual(relabelled.action, "configured")
        assert.strictEqual(relabelled.instance.metadata.generation, 1)
        assert.notStrictEqual(relabelled.instance.metadata.resourceVersion, first.instance.metadata.resourceVersion)

        const bumped = yield* store.apply(doc("web.main", "web:2", { team: "payments" }))
        assert.strictEqual(bumped.instance.metadata.generation, 2)
        assert.isTrue(BigInt(bumped.instance.metadata.resourceVersion) > BigInt(relabelled.instance.metadata.resourceVersion))
        assert.strictEqual(bumped.instance.metadata.uid, first.instance.metadata.uid)
        assert.strictEqual(bumped.instance.metadata.creationTimestamp, first.instance.metadata.creationTimestamp)
      })
    ))

  it("lets exactly one of two writers win a compare-and-swap race", () =>
    run(
      "cas",
      Effect.gen(function*() {
        const store = yield* SpecStore
        const base = yield* store.apply(doc("api.main", "api:1"))
        const seen = base.instance.metadata.resourceVersion
        const results = yield* Effect.all(
          ["api:writer-a", "api:writer-b"].map((image) =>
            Effect.result(store.apply(doc("api.main", image), { expectedResourceVersion: seen }))
          ),
          { concurrency: "unbounded" }
        )
        const wins = results.filter(Result.isSuccess)
        const conflicts = results.filter((result) => Result.isFailure(result) && result.failure._tag === "SpecConflictError")
        assert.strictEqual(wins.length, 1)
        assert.strictEqual(conflicts.length, 1)
        const final = Option.getOrThrow(yield* store.get("api.main" as InstanceName))
        assert.strictEqual(final.metadata.generation, 2)
      })
    ))

  it("rejects a stale resourceVersion and writes nothing", () =>
    run(
      "stale",
      Effect.gen(function*() {
        const store = yield* SpecStore
        const first = yield* store.apply(doc("web.main", "web:1"))
        yield* store.apply(doc("web.main", "web:2"))
        const stale = yield* Effect.flip(
          store.apply(doc("web.main", "web:3"), { expectedResourceVersion: first.instance.metadata.resourceVersion })
        )
        assert.strictEqual(stale._tag, "SpecConflictError")
        const final = Option.getOrThrow(yield* store.get("web.main" as InstanceName))
        assert.strictEqual(final.spec.image, "web:2")
      })
    ))

  it("keeps the newest 10 specs of history", () =>
    run(
      "history",
      Effect.gen(function*() {
        const store = yield* SpecStore
        for (let version = 1; version <= 15; version++) {
          yield* store.apply(doc("web.main", `web:${version}`))
        }
        const history = yield* store.history("web.main" as InstanceName)
        assert.deepStrictEqual(history.map((entry) => entry.generation), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        assert.deepStrictEqual(
          history.map((entry) => entry.spec.image),
          [6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((v) => `web:${v}`)
        )
      })
    ))

  it("deletes a spec with its history; deleting again finds nothing", () =>
    run(
      "delete",
      Effect.gen(function*() {
        const store = yield* SpecStore
        yield* store.apply(doc("web.main", "web:1"))
        const removed = yield* store.remove("web.main" as InstanceName)
        assert.isTrue(Option.isSome(removed))
        assert.isTrue(Option.isNone(yield* store.get("web.main" as InstanceName)))
        assert.deepStrictEqual(yield* store.history("web.main" as InstanceName), [])
        assert.isTrue(Option.isNone(yield* store.remove("web.main" as InstanceName)))
      })
    ))

  it("does not write on a server-side dry run", () =>
    run(
      "dry",
      Effect.gen(function*() {
        const store = yield* SpecStore
        const outcome = yield* store.apply(doc("web.main", "web:1"), { dryRun: true })
        assert.strictEqual(outcome.action, "created")
        assert.isTrue(Option.isNone(yield* store.get("web.main" as InstanceName)))
      })
    ))
})
