// The controller's watch-fed cache against a real etcd: passes may begin once it says it is
// synced, and from then on a lock-free look must find every cache listed, drain records included
// (before they are, a look reads them from etcd and may remove a stale one without the lock).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterEach } from "vitest"
import { makeStateCache } from "../../src/controller/StateCache.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

const clusters: Array<EtcdCluster> = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
})

describe("StateCache against a real etcd", () => {
  it("is synced only once the drain records are listed too, however many pages they take", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("cache")
    // Many drain records (several pages of the informer's list), no spec and no status (one answer each).
    const records = 2_500
    const record = (task: number) =>
      JSON.stringify({ requestedAt: "2026-01-01T00:00:00.000Z", method: "noop", appId: `/svc${task}.main.gitabcdef12.config01234567` })
    for (let first = 0; first < records; first += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, i) => first + i).map((task) =>
          rawPut(etcd, `${prefix}/drain/svc${task}.main/task-${task}`, record(task))
        )
      )
    }
    const seen = await Effect.runPromise(
      Effect.gen(function*() {
        const cache = yield* makeStateCache({ onSpecChange: () => Effect.void, onSpecsListed: () => Effect.void })
        yield* cache.synced
        // Read at once, as a worker let through by `synced` would.
        return [0, records - 1].map((task) => cache.drainRecords(`svc${task}.main` as InstanceName)?.has(`task-${task}`))
      }).pipe(Effect.scoped, Effect.provide(etcdLayer(etcd, prefix)))
    )
    assert.deepStrictEqual(seen, [true, true])
  })
})
