import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { afterEach } from "vitest"
import type { InformerEvent } from "../../src/store/Informer.ts"
import { informer } from "../../src/store/Informer.ts"
import { MemberPulse } from "../../src/store/MemberPulse.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { compact, etcdLayer, rawDeletePrefix, rawGet, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import type { TcpGate } from "../harness/tcpGate.ts"
import { startTcpGate } from "../harness/tcpGate.ts"
import { waitUntil } from "../harness/wait.ts"

const clusters: Array<EtcdCluster> = []
const gates: Array<TcpGate> = []
afterEach(async () => {
  await Promise.all(gates.splice(0).map((gate) => gate.close()))
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
})

/**
 * Runs an informer in the background and mirrors what it delivered into a map. `shared`: its
 * probes go through a MemberPulse, as the controller's do.
 */
const follow = (cluster: EtcdCluster, endpoints: string, prefix: string, shared = false) => {
  const state = new Map<string, string>()
  const events: Array<InformerEvent<string>> = []
  let relists = 0
  const etcd = etcdLayer({ ...cluster, endpoints }, "/unused")
  const layer = shared ? MemberPulse.layer.pipe(Layer.provideMerge(etcd)) : etcd
  const fiber = Effect.runFork(
    informer<string>({ prefix, parse: (_key, value) => value }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          events.push(event)
          if (event._tag === "Upsert") state.set(event.key, event.value)
          if (event._tag === "Delete") state.delete(event.key)
          if (event._tag === "Synced") relists = event.relists
        })
      ),
      Effect.provide(Layer.fresh(layer))
    )
  )
  return { state, events, relists: () => relists, stop: () => Effect.runPromise(Fiber.interrupt(fiber)) }
}

const sameAs = (state: Map<string, string>, expected: Record<string, string>) =>
  state.size === Object.keys(expected).length && Object.entries(expected).every(([key, value]) => state.get(key) === value)

describe("Informer against a real etcd", () => {
  it("lists, then follows puts and deletes from the list revision", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("follow") + "/specs/"
    await rawPut(etcd, `${prefix}a`, "1")
    const watch = follow(etcd, etcd.endpoints, prefix)
    await waitUntil("initial list", () => watch.state.get(`${prefix}a`) === "1")
    await rawPut(etcd, `${prefix}b`, "2")
    await rawPut(etcd, `${prefix}a`, "3")
    await rawPut(etcd, "/elsewhere/key", "x")
    await waitUntil("both keys", () => sameAs(watch.state, { [`${prefix}a`]: "3", [`${prefix}b`]: "2" }))
    assert.strictEqual(watch.events.filter((event) => event._tag === "Synced").length, 1)
    await watch.stop()
  })

  it("follows writes made while it lists: each told once, in order, none the list already showed", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("during-list") + "/specs/"
    // Keys of one width, so that a key is no other key's prefix (rawDeletePrefix deletes one).
    const keyOf = (index: number) => `${prefix}${String(index % 60).padStart(3, "0")}`
    for (let index = 0; index < 60; index++) await rawPut(etcd, keyOf(index), "initial")
    // A writer changes and deletes keys the whole time: the list, one key a page, takes 60 round trips.
    let writing = true
    let written = 0
    const writer = (async () => {
      for (; writing; written++) {
        if (written % 7 === 3) await rawDeletePrefix(etcd, keyOf(written))
        else await rawPut(etcd, keyOf(written), `write ${written}`)
      }
    })()
    const state = new Map<string, string>()
    const violations: Array<string> = []
    const lastRevision = new Map<string, bigint>()
    let syncedAt: bigint | undefined
    let writtenAtSync = 0
    // Checked on every event: a key's revisions only grow, and after the list nothing it showed comes again.
    const check = (key: string, modRevision: string) => {
      const revision = BigInt(modRevision)
      if (revision <= (lastRevision.get(key) ?? 0n)) violations.push(`${key} told at ${revision} after ${lastRevision.get(key)}`)
      if (syncedAt !== undefined && revision <= syncedAt) violations.push(`${key} at ${revision}, not after the list's ${syncedAt}`)
      lastRevision.set(key, revision)
    }
    const fiber = Effect.runFork(
      informer<string>({ prefix, parse: (_key, value) => value, pageSize: 1 }).pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => {
            if (event._tag === "Synced") {
              syncedAt = BigInt(event.revision)
              writtenAtSync = written
              return
            }
            check(event.key, event.modRevision)
            if (event._tag === "Upsert") state.set(event.key, event.value)
            if (event._tag === "Delete") state.delete(event.key)
          })
        ),
        Effect.provide(Layer.fresh(etcdLayer(etcd, "/unused")))
      )
    )
    await waitUntil("listed", () => syncedAt !== undefined)
    await waitUntil("writes after the list", () => written > writtenAtSync + 40)
    writing = false
    await writer
    const stored: Record<string, string> = {}
    for (let index = 0; index < 60; index++) {
      const value = await rawGet(etcd, keyOf(index))
      if (value !== undefined) stored[keyOf(index)] = value
    }
    await waitUntil("the informer shows what etcd holds", () => sameAs(state, stored))
    assert.deepStrictEqual(violations, [])
    assert.isAbove(writtenAtSync, 0, "writes were made while it listed")
    await Effect.runPromise(Fiber.interrupt(fiber))
  })

  it("resumes after an etcd restart by relisting, and ends with exactly the stored state", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("restart") + "/specs/"
    const watch = follow(etcd, etcd.endpoints, prefix)
    await waitUntil("initial sync", () => watch.events.some((event) => event._tag === "Synced"))
    // Written after the list, so it can only arrive through the watch: the watch is live.
    await rawPut(etcd, `${prefix}a`, "1")
    await waitUntil("first put, through the watch", () => watch.state.get(`${prefix}a`) === "1")
    await etcd.restart(0)
    await rawPut(etcd, `${prefix}b`, "2")
    // etcd3 would quietly resume a broken watch by itself; the informer's contract is that a broken
    // watch is a relist (one retry owner, and nothing compacted away meanwhile is missed).
    await waitUntil("a relist after the restart", () => watch.relists() >= 1, { timeoutMs: 30_000 })
    await waitUntil("put after restart", () => sameAs(watch.state, { [`${prefix}a`]: "1", [`${prefix}b`]: "2" }), {
      timeoutMs: 30_000
    })
    // The relist is diffed against what was delivered: the unchanged key is not delivered again.
    assert.strictEqual(watch.events.filter((event) => event._tag === "Upsert" && event.key === `${prefix}a`).length, 1)
    // Nothing was deleted, and nothing may have looked deleted while etcd was away.
    assert.deepStrictEqual(watch.events.filter((event) => event._tag === "Delete"), [])
    await watch.stop()
  })

  it("loses nothing when the revision is compacted under a live informer, or while it is cut off", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const gate = await startTcpGate(etcd.endpoints)
    gates.push(gate)
    const prefix = uniquePrefix("compact") + "/specs/"
    const watch = follow(etcd, gate.url, prefix)
    await waitUntil("initial sync", () => watch.events.some((event) => event._tag === "Synced"))
    for (let index = 0; index < 20; index++) await rawPut(etcd, `${prefix}k${index % 5}`, `${index}`)
    await compact(etcd)
    await rawPut(etcd, `${prefix}after`, "x")
    const expected: Record<string, string> = { [`${prefix}after`]: "x" }
    for (let index = 15; index < 20; index++) expected[`${prefix}k${index % 5}`] = `${index}`
    await waitUntil("state after compaction", () => sameAs(watch.state, expected))
    // (A watch that started late, at an already compacted revision, relists here already.)
    const relistsBefore = watch.relists()

    // Cut off, the informer misses a put, an overwrite and a delete, and the history that held them
    // is compacted away: only a relist (diffed against what it delivered) can find them.
    gate.cut()
    await waitUntil("the informer trying to reconnect", () => gate.refused() > 0)
    await rawPut(etcd, `${prefix}k0`, "cut")
    await rawPut(etcd, `${prefix}missed`, "y")
    await rawDeletePrefix(etcd, `${prefix}after`)
    await compact(etcd)
    gate.reconnect()
    expected[`${prefix}k0`] = "cut"
    expected[`${prefix}missed`] = "y"
    delete expected[`${prefix}after`]
    await waitUntil("a relist after the cut", () => watch.relists() > relistsBefore, { timeoutMs: 30_000 })
    await waitUntil("state after the cut", () => sameAs(watch.state, expected), { timeoutMs: 30_000 })
    await watch.stop()
  })

  it("relists after its member was down while others wrote, deleted and compacted", async () => {
    const etcd = await startLocalEtcd({ members: 3 })
    clusters.push(etcd)
    const [first, second, third] = etcd.members
    const prefix = uniquePrefix("cluster") + "/specs/"
    await rawPut(etcd, `${prefix}gone`, "old")
    await rawPut(etcd, `${prefix}kept`, "old")
    const watch = follow(etcd, first!.clientUrl, prefix)
    await waitUntil("initial list", () => watch.state.size === 2)

    await etcd.kill(0)
    const survivors = { ...etcd, members: [second!, third!], endpoints: `${second!.clientUrl},${third!.clientUrl}` }
    await waitUntil("quorum without the killed member", async () => {
      await rawPut(survivors, `${prefix}kept`, "new")
      return true
    })
    await fetch(`${second!.clientUrl}/v3/kv/deleterange`, {
      method: "POST",
      body: JSON.stringify({ key: Buffer.from(`${prefix}gone`).toString("base64") })
    })
    await rawPut(survivors, `${prefix}added`, "new")
    await compact(survivors)

    await etcd.restart(0)
    await waitUntil(
      "converged after the member came back",
      () => sameAs(watch.state, { [`${prefix}kept`]: "new", [`${prefix}added`]: "new" }),
      { timeoutMs: 30_000 }
    )
    assert.isAtLeast(watch.relists(), 1)
    await watch.stop()
  })

  it.each([
    { probes: "its own", shared: false },
    { probes: "shared", shared: true }
  ])(
    "leaves a watch stuck on a frozen member within seconds and follows a put made through the client ($probes probes)",
    async ({ shared }) => {
      const etcd = await startLocalEtcd({ members: 3 })
      clusters.push(etcd)
      const prefix = uniquePrefix("frozen") + "/specs/"
      const put = (key: string, value: string) =>
        Effect.runPromise(
          EtcdClient.use((etcdClient) => etcdClient.callIdempotent("test put", (c) => c.put(key).value(value).exec())).pipe(
            Effect.provide(Layer.fresh(etcdLayer(etcd, "/unused")))
          )
        )
      await put(`${prefix}a`, "1")
      const watch = follow(etcd, etcd.endpoints, prefix, shared)
      await waitUntil("initial list", () => watch.state.get(`${prefix}a`) === "1")
      // The member the informer's watch stream is on: the only one with a watcher. Read off etcd's
      // metrics, which a loaded machine can leave behind a watch that has just moved; an attempt
      // whose frozen member turns out not to have held the watch (the value arrives with no relist)
      // proves nothing and is made again, at most three times.
      const watchHost = () =>
        waitUntil("the watch's member", async () => {
          const counts = await Promise.all(etcd.members.map(async (member) => {
            const text = await (await fetch(`${member.clientUrl}/metrics`)).text()
            return Number(/^etcd_debugging_mvcc_watcher_total (\S+)$/m.exec(text)?.[1] ?? "0")
          }))
          const index = counts.findIndex((count) => count > 0)
          return index >= 0 && counts.filter((count) => count > 0).length === 1 ? index + 1 : undefined
        })
      let conclusive = false
      try {
        for (let attempt = 2; attempt <= 4 && !conclusive; attempt++) {
          const value = String(attempt)
          const host = await watchHost()
          const relistsBefore = watch.relists()
          etcd.freeze(host - 1)
          try {
            const started = performance.now()
            await put(`${prefix}a`, value)
            // A call that went to the frozen member fails at its 2 s deadline; the retry goes elsewhere.
            const putSeconds = (performance.now() - started) / 1000
            assert.isBelow(putSeconds, 5, `the put took ${putSeconds.toFixed(1)} s`)
            const violations: Array<string> = []
            const previous = String(attempt - 1)
            await waitUntil("the put seen past the frozen member", () => {
              // Invariant on every poll: the informer shows one of the two values, never a gap.
              const seen = watch.state.get(`${prefix}a`)
              if (seen !== previous && seen !== value) violations.push(`value ${seen}`)
              return seen === value
            }, { timeoutMs: 15_000 })
            assert.deepStrictEqual(violations, [])
            const seconds = (performance.now() - started) / 1000
            conclusive = watch.relists() > relistsBefore
            // About 3 s: two failed 1 s probes, then a list and a watch on the next member.
            if (conclusive) assert.isBelow(seconds, 10, `took ${seconds.toFixed(1)} s`)
          } finally {
            etcd.thaw(host - 1)
          }
        }
        assert.isTrue(conclusive, "in three attempts the watch was never on the member frozen")
      } finally {
        await watch.stop()
      }
    }
  )
})
