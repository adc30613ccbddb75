// The informer's list in pages of 10 over 57 keys against a real etcd: one snapshot at the first
// page's revision, each page asked for before the one before it is parsed, a write landing between
// two pages only through the watch, and a list whose revision is compacted between two pages
// started over.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { afterEach } from "vitest"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import type { InformerEvent } from "../../src/store/Informer.ts"
import { informer } from "../../src/store/Informer.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { compact, etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { waitUntil } from "../harness/wait.ts"

const clusters: Array<EtcdCluster> = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
})

const keyCount = 57
const pageSize = 10
const keyOf = (prefix: string, index: number) => `${prefix}k${String(index).padStart(2, "0")}`

/**
 * Follows `prefix` with pages of 10, running `beforePage(n)` (n from 1) before each list page is
 * asked for: the test's way to act between two pages of one list.
 */
const follow = (cluster: EtcdCluster, prefix: string, beforePage: (page: number) => Promise<void>) => {
  const state = new Map<string, string>()
  const events: Array<InformerEvent<string>> = []
  let pages = 0
  // Per value parsed, how many pages had been asked for by then.
  const pagesAskedAtParse: Array<number> = []
  // The real client, with every list page call preceded by the test's action.
  const layer = Layer.effect(
    EtcdClient,
    Effect.gen(function*() {
      const real = yield* EtcdClient
      return EtcdClient.of({
        ...real,
        call: (operation, f) =>
          operation === "informer list page"
            ? Effect.promise(() => beforePage(++pages)).pipe(Effect.andThen(real.call(operation, f)))
            : real.call(operation, f)
      })
    })
  ).pipe(Layer.provide(Layer.fresh(etcdLayer(cluster, "/unused"))))
  const fiber = Effect.runFork(
    informer<string>({ prefix, pageSize, parse: (_key, value) => (pagesAskedAtParse.push(pages), value) }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          events.push(event)
          if (event._tag === "Upsert") state.set(event.key, event.value)
          if (event._tag === "Delete") state.delete(event.key)
        })
      ),
      Effect.provide(layer)
    )
  )
  const synced = () => events.filter((event) => event._tag === "Synced")
  /** What the consumer held when the first list ended. */
  const atFirstSync = () => {
    const end = events.findIndex((event) => event._tag === "Synced")
    const snapshot = new Map<string, string>()
    for (const event of events.slice(0, end)) {
      if (event._tag === "Upsert") snapshot.set(event.key, event.value)
      if (event._tag === "Delete") snapshot.delete(event.key)
    }
    return snapshot
  }
  return {
    state,
    events,
    synced,
    atFirstSync,
    pages: () => pages,
    pagesAskedAtParse,
    stop: () => Effect.runPromise(Fiber.interrupt(fiber))
  }
}

const seed = async (cluster: EtcdCluster, prefix: string) => {
  for (let index = 0; index < keyCount; index++) await rawPut(cluster, keyOf(prefix, index), "v1")
}

describe("Informer list in pages against a real etcd", () => {
  it("reads every page at the first page's revision and gets a write between pages through the watch", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("paged") + "/specs/"
    await seed(etcd, prefix)
    // Between pages 2 and 3: a new key at the end of the range, an overwrite of a key on a later
    // page and of one on an earlier page. A list at the newest revision would show the first two.
    const watch = follow(etcd, prefix, async (page) => {
      if (page !== 3) return
      await rawPut(etcd, `${prefix}zz-new`, "between")
      await rawPut(etcd, keyOf(prefix, 40), "between")
      await rawPut(etcd, keyOf(prefix, 5), "between")
    })
    await waitUntil("the first list", () => watch.synced().length === 1)
    const listed = watch.atFirstSync()
    assert.strictEqual(listed.size, keyCount)
    assert.isTrue([...listed.values()].every((value) => value === "v1"), "the list is the snapshot before the writes")
    assert.isFalse(listed.has(`${prefix}zz-new`))
    // 57 keys in pages of 10: 6 pages, the last one short.
    assert.strictEqual(watch.pages(), 6)
    // Each page after the first was asked for before the page before it was parsed (etcd reads it
    // meanwhile).
    assert.deepStrictEqual(
      watch.pagesAskedAtParse.slice(0, keyCount),
      Array.from({ length: keyCount }, (_, index) => Math.min(Math.floor(index / pageSize) + 2, 6))
    )

    await waitUntil(
      "the writes between pages, through the watch",
      () =>
        watch.state.size === keyCount + 1 && watch.state.get(`${prefix}zz-new`) === "between" &&
        watch.state.get(keyOf(prefix, 40)) === "between" && watch.state.get(keyOf(prefix, 5)) === "between"
    )
    // Delivered once each by the watch (from the list revision + 1), and no relist happened.
    assert.strictEqual(watch.events.filter((event) => event._tag === "Upsert" && event.value === "between").length, 3)
    assert.strictEqual(watch.synced().length, 1)
    assert.deepStrictEqual(watch.events.filter((event) => event._tag === "Delete"), [])
    await watch.stop()
  })

  it("starts the list over when its revision is compacted between pages", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("paged-compact") + "/specs/"
    await seed(etcd, prefix)
    // Before page 4 of the first list: a change to a key already listed and a new key, then a
    // compaction past the list's revision: page 4 can no longer be read at it.
    const watch = follow(etcd, prefix, async (page) => {
      if (page !== 4) return
      await rawPut(etcd, keyOf(prefix, 0), "after-compaction")
      await rawPut(etcd, `${prefix}zz-new`, "after-compaction")
      await compact(etcd)
    })
    await waitUntil("a complete list", () => watch.synced().length === 1, { timeoutMs: 30_000 })
    const synced = watch.synced()[0] as Extract<InformerEvent<string>, { _tag: "Synced" }>
    assert.strictEqual(synced.relists, 1, "the compacted list counts as a relist")
    // 3 pages of the compacted list and the 4th refused, then 6 of the new one (58 keys).
    assert.strictEqual(watch.pages(), 10)
    // The new list saw the change and the new key; the key already delivered was updated in place.
    const listed = watch.atFirstSync()
    assert.strictEqual(listed.size, keyCount + 1)
    assert.strictEqual(listed.get(keyOf(prefix, 0)), "after-compaction")
    assert.strictEqual(listed.get(`${prefix}zz-new`), "after-compaction")
    assert.deepStrictEqual(watch.events.filter((event) => event._tag === "Delete"), [])

    // And the watch runs from the new list's revision.
    await rawPut(etcd, keyOf(prefix, 56), "watched")
    await waitUntil("a put after the list", () => watch.state.get(keyOf(prefix, 56)) === "watched")
    await watch.stop()
  })
})
