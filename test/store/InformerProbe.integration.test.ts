// What an informer's stall probe asks etcd for (src/store/Informer.ts): while the cluster stays at
// the revision its watch is known complete at, one key (the member answers); once the cluster has
// moved on, the prefix's newest revision and count, so that a change the watch missed is found —
// spaced by the prefix's size (fullProbeSpacing) while the cluster keeps moving. Informers that
// watch through one member share its one-key reads where a MemberPulse is provided.
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { afterEach } from "vitest"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { fullProbeSpacing, informer } from "../../src/store/Informer.ts"
import { MemberPulse } from "../../src/store/MemberPulse.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { waitUntil } from "../harness/wait.ts"

const clusters: Array<EtcdCluster> = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()))
})

/** The real client, with the name of every call it makes written down in order. */
const recordingLayer = (cluster: EtcdCluster, calls: Array<string>) =>
  Layer.effect(
    EtcdClient,
    Effect.gen(function*() {
      const real = yield* EtcdClient
      return EtcdClient.of({
        ...real,
        call: (operation, f) => Effect.suspend(() => (calls.push(operation), real.call(operation, f)))
      })
    })
  ).pipe(Layer.provide(Layer.fresh(etcdLayer(cluster, "/unused"))))

const probesOf = (calls: ReadonlyArray<string>) => calls.filter((call) => call.startsWith("informer probe"))

/** An informer over `prefix` probing every 100 ms, its calls recorded; resolves once it has listed. */
const probing = async (cluster: EtcdCluster, prefix: string) => {
  const calls: Array<string> = []
  let synced = false
  const fiber = Effect.runFork(
    informer<string>({ prefix, parse: (_key, value) => value, stallProbeInterval: "100 millis" }).pipe(
      Stream.runForEach((event) => Effect.sync(() => void (event._tag === "Synced" && (synced = true)))),
      Effect.provide(recordingLayer(cluster, calls))
    )
  )
  await waitUntil("listed", () => synced)
  return { calls, stop: () => Effect.runPromise(Fiber.interrupt(fiber)) }
}

describe("an informer's stall probe", () => {
  it("asks for one key while the cluster stands still, and for the prefix once after it moved", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("probe") + "/specs/"
    for (const key of ["a", "b", "c"]) await rawPut(etcd, `${prefix}${key}`, "1")
    const { calls, stop } = await probing(etcd, prefix)
    try {
      // Standing still: every probe is the one-key read, however many are made.
      const idle = calls.length
      await waitUntil("eight probes", () => probesOf(calls.slice(idle)).length >= 8)
      assert.deepStrictEqual([...new Set(probesOf(calls.slice(idle)))], ["informer probe"])

      // A write outside the prefix moves the cluster on: the prefix is read (nothing is missing),
      // read once more to see the cluster stand still, and then one-key reads follow again.
      const moved = calls.length
      await rawPut(etcd, "/elsewhere/key", "x")
      await waitUntil("the prefix read, then four one-key probes", () => {
        const probes = probesOf(calls.slice(moved))
        const last = probes.lastIndexOf("informer probe prefix")
        return last >= 0 && probes.slice(last + 1).length >= 4 ? true : undefined
      })
      const probes = probesOf(calls.slice(moved))
      const prefixReads = probes.filter((probe) => probe === "informer probe prefix").length
      assert.isAtLeast(prefixReads, 1)
      assert.isAtMost(prefixReads, 2, probes.join(", "))
      const last = probes.lastIndexOf("informer probe prefix")
      assert.deepStrictEqual([...new Set(probes.slice(last + 1))], ["informer probe"])
    } finally {
      await stop()
    }
  })

  it("reads a large prefix at most once per its spacing while the cluster keeps moving, and asks every interval", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const prefix = uniquePrefix("spaced") + "/statuses/"
    const keys = 800
    await Promise.all(Array.from({ length: keys }, (_, index) => rawPut(etcd, `${prefix}${index}`, "1")))
    const spacingMs = fullProbeSpacing(Duration.millis(100), keys)
    assert.strictEqual(spacingMs, 800)
    const { calls, stop } = await probing(etcd, prefix)
    try {
      // Writes elsewhere every 50 ms for 4 s: the cluster never stands still.
      const from = calls.length
      const started = performance.now()
      while (performance.now() - started < 4_000) {
        await rawPut(etcd, "/elsewhere/moving", String(performance.now()))
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const probes = probesOf(calls.slice(from))
      const prefixReads = probes.filter((probe) => probe === "informer probe prefix").length
      // 4 s at one read per 800 ms, plus the first one's pair; a probe each 100 ms would be 40.
      assert.isAtLeast(prefixReads, 3, probes.join(", "))
      assert.isAtMost(prefixReads, 8, probes.join(", "))
      // The member is still asked every interval: about 40 in 4 s (a loaded machine makes fewer;
      // were the one-key probes spaced too, there would be about 5).
      assert.isAtLeast(probes.length, 15, probes.join(", "))
    } finally {
      await stop()
    }
  })

  it("asks a member once a probe interval for all the informers that watch through it", async () => {
    const etcd = await startLocalEtcd()
    clusters.push(etcd)
    const root = uniquePrefix("shared")
    const prefixes = ["specs", "status", "drain"].map((kind) => `${root}/${kind}/`)
    const calls: Array<string> = []
    const seen = new Map<string, string>()
    const synced = new Set<string>()
    const fiber = Effect.runFork(
      Effect.forEach(
        prefixes,
        (prefix) =>
          informer<string>({ prefix, parse: (_key, value) => value, stallProbeInterval: "100 millis" }).pipe(
            Stream.runForEach((event) =>
              Effect.sync(() => {
                if (event._tag === "Synced") synced.add(prefix)
                if (event._tag === "Upsert") seen.set(event.key, event.value)
              })
            )
          ),
        { concurrency: "unbounded", discard: true }
      ).pipe(
        Effect.provide(MemberPulse.layer.pipe(Layer.provideMerge(recordingLayer(etcd, calls))))
      )
    )
    try {
      await waitUntil("listed", () => synced.size === prefixes.length)
      // Three informers probing every 100 ms, alone, make 30 reads a second: 20 would take about
      // 0.7 s. Shared, 20 reads take 2 s (a slow machine only makes them slower).
      const from = calls.length
      const started = performance.now()
      await waitUntil("twenty probes", () => probesOf(calls.slice(from)).length >= 20, { timeoutMs: 20_000 })
      const seconds = (performance.now() - started) / 1000
      const probes = probesOf(calls.slice(from))
      assert.deepStrictEqual([...new Set(probes)], ["informer probe"])
      assert.isAtLeast(seconds, 1.3, `${probes.length} probes in ${seconds.toFixed(2)} s`)
      // Each informer still follows its prefix.
      await rawPut(etcd, `${prefixes[2]}x`, "1")
      await waitUntil("the put followed", () => seen.get(`${prefixes[2]}x`) === "1")
    } finally {
      await Effect.runPromise(Fiber.interrupt(fiber))
    }
  })
})
