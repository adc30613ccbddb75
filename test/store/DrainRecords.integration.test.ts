import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import type { Layer as LayerType } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { etcdDrainRecordsLayer } from "../../src/store/EtcdDrainRecords.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const web = "web.main" as InstanceName
const conformance = (layer: () => LayerType.Layer<DrainRecords, unknown>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const records = yield* DrainRecords
      const requestedAt = DateTime.makeUnsafe("2026-11-25T10:00:00Z")
      assert.strictEqual((yield* records.list(web)).size, 0)
      yield* records.put(web, "web_main.t1", { requestedAt, method: "test", appId: "/web.main.gitabc.config1" })
      yield* records.put(web, "web_main.t2", { requestedAt, method: "test", appId: "/web.main.gitabc.config1" })
      yield* records.put(web, "web_main.t1", { requestedAt, method: "hacheck", appId: "/web.main.gitabc.config1" })
      yield* records.put("api.main" as InstanceName, "api_main.t9", { requestedAt, method: "noop", appId: "/api.main.gitabc.config1" })
      const listed = yield* records.list(web)
      assert.deepStrictEqual([...listed.keys()].sort(), ["web_main.t1", "web_main.t2"])
      assert.strictEqual(listed.get("web_main.t1")?.method, "hacheck")
      assert.isTrue(DateTime.Equivalence(listed.get("web_main.t2")!.requestedAt, requestedAt))
      yield* records.remove(web, "web_main.t1")
      yield* records.remove(web, "web_main.absent")
      assert.deepStrictEqual([...(yield* records.list(web)).keys()], ["web_main.t2"])
    }).pipe(Effect.provide(layer()))
  )

describe("DrainRecords", () => {
  it("in memory: put replaces, list per instance, remove is idempotent", () => conformance(() => DrainRecords.layerMemory))
  it("on etcd: behaves exactly like the in-memory records", () =>
    conformance(() => etcdDrainRecordsLayer.pipe(Layer.provide(etcdLayer(etcd, uniquePrefix("drain"))))))
})
