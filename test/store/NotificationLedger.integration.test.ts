// The notification ledger on a real etcd (design.md §15): a claim is created once and dies with
// the claimer's lease; settling needs the claim still held; a settled record lives on its own
// two-hour lease, which `touch` renews; the memory layer behaves alike where leases do not matter.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import { NotificationLedger } from "../../src/notify/NotificationLedger.ts"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { etcdNotificationLedgerLayer, recordTtlSeconds } from "../../src/store/EtcdNotificationLedger.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawGet, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const key = { notifier: "ops", subject: "web.main", generation: 3, reason: "RolloutSucceeded" }

/** The TTL left on a key's lease, read through the JSON gateway. */
const ttlOf = async (path: string): Promise<number | undefined> => {
  const endpoint = etcd.members[0]!.clientUrl
  const range =
    (await (await fetch(`${endpoint}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from(path).toString("base64") }) }))
      .json()) as {
        kvs?: Array<{ lease?: string }>
      }
  const lease = range.kvs?.[0]?.lease
  if (lease === undefined) return undefined
  const answer =
    (await (await fetch(`${endpoint}/v3/lease/timetolive`, { method: "POST", body: JSON.stringify({ ID: lease }) })).json()) as {
      TTL: string
    }
  return Number(answer.TTL)
}

describe("NotificationLedger on etcd", () => {
  it("claim once, lost with the claimer's lease, settle only while held, settled records on a renewable lease", async () => {
    const prefix = uniquePrefix("ledger")
    const path = `${prefix}/notifications/ops/web.main/0000000003/RolloutSucceeded`
    await Effect.runPromise(
      Effect.gen(function*() {
        const ledger = yield* NotificationLedger
        const etcdClient = yield* EtcdClient
        const grant = (ttl: number) => etcdClient.call("grant", (client) => client.lease(ttl, { autoKeepAlive: false }).grant())
        const first = yield* grant(30)
        const claimed = yield* ledger.claim(key, "leader-1", first)
        assert.strictEqual(claimed._tag, "Claimed")
        const again = yield* ledger.claim(key, "leader-2", yield* grant(30))
        assert.deepStrictEqual(again._tag === "Taken" ? [again.record.state, again.record.by] : [], ["claimed", "leader-1"])

        // leader-1 dies: its lease goes, and so does its claim; leader-2 claims and settles.
        yield* etcdClient.call("revoke", async (client) => {
          await client.leaseClient.leaseRevoke({ ID: first })
        })
        assert.isUndefined(yield* Effect.promise(() => rawGet(etcd, path)))
        const second = yield* ledger.claim(key, "leader-2", yield* grant(30))
        assert.strictEqual(second._tag, "Claimed")
        if (claimed._tag === "Claimed") {
          assert.isFalse(
            yield* ledger.settle(key, claimed.token, { state: "delivered", by: "leader-1", at: "" }),
            "a lost claim cannot settle"
          )
        }
        if (second._tag === "Claimed") {
          assert.isTrue(yield* ledger.settle(key, second.token, { state: "delivered", by: "leader-2", at: "t", attempts: 2 }))
        }
        const settled = yield* ledger.claim(key, "leader-3", yield* grant(30))
        assert.deepStrictEqual(settled._tag === "Taken" ? settled.record : undefined, {
          state: "delivered",
          by: "leader-2",
          at: "t",
          attempts: 2
        })
        const ttl = yield* Effect.promise(() => ttlOf(path))
        assert.isAbove(ttl ?? 0, recordTtlSeconds - 60)
        yield* ledger.touch(key)
        assert.isAbove((yield* Effect.promise(() => ttlOf(path))) ?? 0, recordTtlSeconds - 60)
        assert.deepStrictEqual(
          (yield* ledger.list("ops")).map((entry) => [entry.subject, entry.generation, entry.reason, entry.record.state]),
          [
            ["web.main", 3, "RolloutSucceeded", "delivered"]
          ]
        )
      }).pipe(Effect.provide(etcdNotificationLedgerLayer.pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))))
    )
  })

  it("in memory: claim once, settle with the claim's token, list per notifier", () =>
    Effect.runPromise(
      Effect.gen(function*() {
        const ledger = yield* NotificationLedger
        const claimed = yield* ledger.claim(key, "me", "0")
        assert.strictEqual((yield* ledger.claim(key, "other", "0"))._tag, "Taken")
        assert.isFalse(yield* ledger.settle(key, "nope", { state: "delivered", by: "me", at: "" }))
        if (claimed._tag === "Claimed") {
          assert.isTrue(yield* ledger.settle(key, claimed.token, { state: "failed", by: "me", at: "", error: "HTTP 404" }))
        }
        assert.deepStrictEqual((yield* ledger.list("ops")).map((entry) => entry.record.state), ["failed"])
        assert.deepStrictEqual(yield* ledger.list("other"), [])
      }).pipe(Effect.provide(NotificationLedger.layerMemory))
    ))
})
