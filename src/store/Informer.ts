// A client-go style informer over one etcd prefix: watch, list (in pages, all at one revision) and
// follow the watch from the list's revision on; list again (with backoff) whenever the watch breaks —
// a lost stream, an etcd restart, a compaction while cut off.
// A relist is diffed against what was already delivered, so consumers see only real changes: an
// Upsert per new or changed key, a Delete per vanished key, then Synced. The stream never fails;
// it retries until interrupted.
//
// A watch can also stall without breaking: a member that is frozen (SIGSTOP, a hung disk) keeps its
// TCP connections open and answers nothing, and etcd's own progress notifications come every 10
// minutes. So each session (watch, list, follow) runs on a connection of its own to one member, the
// next member after every failure, and while it watches, a probe asks that member every
// `stallProbeInterval` (1 s, with a deadline of half that) for the cluster's revision (one read for
// all the informers on that member, where the process has a MemberPulse), and once the cluster has
// moved past the revision the watch was last known complete at, for the prefix's newest mod
// revision and key count (that, at most once per `fullProbeSpacing`: 10 s for 10,000 keys). The
// watch counts as broken when the member fails two probes in a row (frozen, or cut off from the
// quorum), or when it shows, twice with no watch event in between, a change the watch has not
// delivered. Then the informer relists on the next member.
import { Clock, Deferred, Duration, Effect, Fiber, Option, Queue, Random, Result, Stream } from "effect"
import { Range } from "etcd3"
import type { Etcd3, IKeyValue, Watcher } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import { MemberPulse } from "./MemberPulse.ts"
import type { StoreError } from "./StoreError.ts"

export type InformerEvent<A> =
  | { readonly _tag: "Upsert"; readonly key: string; readonly value: A; readonly modRevision: string }
  | { readonly _tag: "Delete"; readonly key: string; readonly modRevision: string }
  | { readonly _tag: "Synced"; readonly revision: string; readonly relists: number }
  | { readonly _tag: "Invalid"; readonly key: string; readonly error: Error; readonly modRevision: string }

export interface InformerOptions<A> {
  /** Full key prefix to follow. */
  readonly prefix: string
  /**
   * Decodes a value; an Error return is delivered as Invalid — in place of an Upsert, never as a
   * Delete: a consumer must not mistake an unreadable value for a deleted one. Deleting the key
   * later is delivered as a Delete.
   */
  readonly parse: (key: string, value: string, modRevision: string) => A | Error
  /**
   * Keys per list page (default 500, client-go's page size). Pages keep every answer far below
   * gRPC's 4 MiB message limit, whatever the fleet's size.
   */
  readonly pageSize?: number
  /** How often a running watch is checked against the cluster (default 1 s); see the header. */
  readonly stallProbeInterval?: Duration.Input
}

export const defaultStallProbeInterval = Duration.seconds(1)

/**
 * The least time between two probes that read the whole prefix: the probe interval, or a
 * millisecond per key (10 s for 10,000), whichever is longer. etcd's cost of such a read grows with
 * the prefix; a watch's member is still asked every interval whether it answers.
 */
export const fullProbeSpacing = (interval: Duration.Duration, keys: number): number => Math.max(Duration.toMillis(interval), keys)

export const defaultListPageSize = 500
/** Lists started over in one session after their revision was compacted between pages. */
const maxListRestarts = 3
const zeroByte = Buffer.from([0])

/**
 * Backoff between relists after a broken watch: 100 ms doubling to 10 s, jittered ±20 %. The count
 * restarts after every successful list, so a watch that broke after hours of health relists at once.
 */
export const watchRestartDelay = (consecutiveFailures: number, jitter: number): Duration.Duration =>
  Duration.millis(Math.min(100 * 2 ** Math.max(consecutiveFailures - 1, 0), 10_000) * (0.8 + 0.4 * jitter))

class WatchBroken extends Error {}

export const informer = <A>(options: InformerOptions<A>): Stream.Stream<InformerEvent<A>, never, EtcdClient> =>
  Stream.callback<InformerEvent<A>, never, EtcdClient>((queue) =>
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      // Informers that watch through one member share its probe reads where the process has a
      // MemberPulse (the controller: six informers); alone, each asks over its own connection.
      const pulse = yield* Effect.serviceOption(MemberPulse)
      // key → mod revision of what consumers have been told exists.
      const delivered = new Map<string, string>()
      // Keys stored but unreadable: etcd counts them, `delivered` does not.
      let relists = 0
      let consecutiveFailures = 0
      // What the current watch has shown: the newest revision it delivered, and how many events.
      let watched = 0n
      let watchEvents = 0
      // Each watch session connects to the next member, starting at a random one.
      let sessions = Math.floor((yield* Random.next) * 1024)
      const stallProbeInterval = Duration.fromInputUnsafe(options.stallProbeInterval ?? defaultStallProbeInterval)
      const pageSize = Math.max(1, options.pageSize ?? defaultListPageSize)
      const prefixRange = Range.prefix(options.prefix)

      const emit = (event: InformerEvent<A>) => Queue.offerUnsafe(queue, event)

      const deliver = (key: string, value: string, modRevision: string) => {
        const parsed = options.parse(key, value, modRevision)
        if (parsed instanceof Error) {
          delivered.set(key, modRevision)
          emit({ _tag: "Invalid", key, error: parsed, modRevision })
          return
        }
        delivered.set(key, modRevision)
        emit({ _tag: "Upsert", key, value: parsed, modRevision })
      }

      const watchedEvent = (modRevision: string) => {
        watchEvents++
        const revision = BigInt(modRevision)
        if (revision > watched) watched = revision
      }

      // One page: at most `pageSize` keys from `start` (inclusive) to the prefix's end, read at
      // `revision` when given (later pages), at the newest revision otherwise (the first page).
      const listPage = (client: Etcd3, start: Buffer, revision: string | undefined) =>
        etcd.call("informer list page", () => {
          const range = client.getAll().inRange({ start, end: prefixRange.end }).limit(pageSize)
          return (revision === undefined ? range : range.revision(revision)).exec()
        })

      // The list is paged (etcd range with a limit, continued after the last key) so that no answer
      // outgrows the gRPC message limit, and every page after the first is read at the first page's
      // revision: the pages are one snapshot, and the watch resumes from exactly that snapshot.
      // Each page is delivered as it arrives (no more than two pages' values are held at once); the
      // Deletes can only be known, and Synced only said, once the last page is in. The next page is
      // asked for before a page is delivered: etcd reads it while this process parses the page (a
      // new leader's sync of 1,000 instances waited 15–50 ms between two pages for that parse).
      const listOnce = (client: Etcd3) =>
        Effect.gen(function*() {
          const seen = new Set<string>()
          let page = yield* listPage(client, prefixRange.start, undefined)
          const revision = page.header.revision
          for (;;) {
            const last = page.kvs[page.kvs.length - 1]
            // The next page starts just after the last key: the key with a zero byte appended.
            const next = page.more && last !== undefined
              ? yield* Effect.forkChild(listPage(client, Buffer.concat([last.key, zeroByte]), revision), { startImmediately: true })
              : undefined
            for (const kv of page.kvs) {
              const key = kv.key.toString()
              seen.add(key)
              if (delivered.get(key) !== kv.mod_revision) deliver(key, kv.value.toString(), kv.mod_revision)
            }
            if (next === undefined) break
            page = yield* Fiber.join(next)
          }
          for (const key of [...delivered.keys()]) {
            if (!seen.has(key)) {
              delivered.delete(key)
              emit({ _tag: "Delete", key, modRevision: revision })
            }
          }
          return revision
        })

      const relist = (client: Etcd3) =>
        Effect.gen(function*() {
          // Compaction of the list's revision between two pages leaves no way to finish that snapshot:
          // the list starts over at the newest revision (what was delivered stays, and is diffed). A
          // few tries, then the session fails and relists after the usual backoff.
          let revision: string
          for (let attempt = 1;; attempt++) {
            const listed = yield* Effect.result(listOnce(client))
            if (Result.isSuccess(listed)) {
              revision = listed.success
              break
            }
            if (listed.failure.reason !== "Compacted" || attempt >= maxListRestarts) return yield* Effect.fail(listed.failure)
            relists++
          }
          consecutiveFailures = 0
          emit({ _tag: "Synced", revision, relists })
          return revision
        })

      // Fails with WatchBroken once the watch's member stops answering, or the watch falls behind it.
      // `complete` is a cluster revision up to which the watch is known to have delivered all of the
      // prefix (the list's, then each full probe's that found nothing missing). While the cluster
      // stays at it, nothing can be missing: the member is asked for one key, which proves it
      // answers. Once the cluster has moved on, the prefix's newest revision and count are asked
      // for, at most once per `fullProbeSpacing` while nothing looks wrong: etcd reads every value
      // of a prefix to sort it (about 11 MB for 10,000 statuses), and a controller's every replica
      // probes each of its informers.
      const stallProbe = (client: Etcd3, attempt: number, listedAt: bigint) =>
        Effect.gen(function*() {
          const probeTimeoutMs = Math.max(250, Duration.toMillis(stallProbeInterval) / 2)
          const deadline = () => ({ deadline: Date.now() + probeTimeoutMs })
          // The time of the previous probe: a shared read is taken only when begun after it.
          let probedAt = yield* Clock.currentTimeMillis
          const clusterRevision = (since: number) =>
            Option.isSome(pulse)
              ? pulse.value.revision(attempt, since, probeTimeoutMs)
              : Effect.map(
                etcd.call("informer probe", () => client.get(options.prefix).options(deadline()).exec()),
                (answer) => BigInt(answer.header.revision)
              )
          let failures = 0
          let eventsWhenBehind: number | undefined
          let complete = listedAt
          // The cluster was last seen past `complete`, or moving at the last full probe: the prefix
          // is read once its spacing allows.
          let moving = false
          let lastFullAt = Number.NEGATIVE_INFINITY
          const unanswered = (error: StoreError) =>
            // One slow answer is forgiven; two in a row mean the member is gone for this watch.
            ++failures >= 2 ? Effect.fail(new WatchBroken(`its member does not answer: ${error.message}`)) : Effect.void
          for (;;) {
            yield* Effect.sleep(stallProbeInterval)
            const now = yield* Clock.currentTimeMillis
            const since = probedAt
            probedAt = now
            const fullDue = now - lastFullAt >= fullProbeSpacing(stallProbeInterval, delivered.size)
            // A watch seen behind is looked at again at the next probe, spaced or not.
            if (eventsWhenBehind === undefined && !(moving && fullDue)) {
              const asked = yield* Effect.result(clusterRevision(since))
              if (Result.isFailure(asked)) {
                yield* unanswered(asked.failure)
                continue
              }
              failures = 0
              moving = asked.success > complete
              if (!moving || !fullDue) continue
            }
            const probed = yield* Effect.result(
              etcd.call(
                "informer probe prefix",
                () => client.getAll().prefix(options.prefix).sort("Mod", "Descend").limit(1).options(deadline()).exec()
              )
            )
            if (Result.isFailure(probed)) {
              yield* unanswered(probed.failure)
              continue
            }
            failures = 0
            lastFullAt = now
            const { header, kvs, count } = probed.success
            const revision = BigInt(header.revision)
            moving = revision > complete
            const newest = BigInt(kvs[0]?.mod_revision ?? "0")
            const behind = revision > watched &&
              (newest > watched || Number(count) !== delivered.size)
            if (!behind) {
              eventsWhenBehind = undefined
              complete = revision
            } else if (eventsWhenBehind === watchEvents) {
              return yield* Effect.fail(new WatchBroken(`stalled: the cluster is at revision ${header.revision}, the watch at ${watched}`))
            } else eventsWhenBehind = watchEvents
          }
        })

      // One session through one member: watch, then list, then follow until the watch breaks or
      // stalls (fails with WatchBroken, or with the list's error). The watch is created first, at
      // the member's newest revision, so etcd counts it as synced and sends each event as it
      // happens. A watch started afterwards at the list's revision + 1 would, had anything been
      // written in between, wait for etcd's own catch-up loop (every 100 ms) before sending
      // anything, live events included. What the watch shows while the list is read is held back:
      // events the list already reflects (its revision or older) are dropped, later ones go out
      // in order once the list is delivered.
      const session = Effect.gen(function*() {
        const attempt = sessions++
        const client = yield* etcd.dedicated(attempt)
        // Once the session is over only the relist speaks: etcd3 may resume this watcher on its
        // own while the connection is still being torn down.
        let ended = false
        let listedAt: bigint | undefined
        const held: Array<{ readonly deleted: boolean; readonly kv: IKeyValue }> = []
        const follow = (deleted: boolean, kv: IKeyValue) => {
          // Events the list already reflects are not told twice.
          if (listedAt === undefined || BigInt(kv.mod_revision) <= listedAt) {
            return
          }
          watchedEvent(kv.mod_revision)
          const key = kv.key.toString()
          if (!deleted) {
            deliver(key, kv.value.toString(), kv.mod_revision)
          } else if (delivered.delete(key)) {
            emit({ _tag: "Delete", key, modRevision: kv.mod_revision })
          }
        }
        const seen = (deleted: boolean, kv: IKeyValue) => {
          if (ended) {
            return
          }
          if (listedAt === undefined) {
            held.push({ deleted, kv })
          } else follow(deleted, kv)
        }
        const broken = yield* Deferred.make<never, WatchBroken>()
        const created = yield* Deferred.make<void>()
        const breakWith = (reason: string) => {
          ended = true
          Deferred.doneUnsafe(broken, Effect.fail(new WatchBroken(reason)))
        }
        // The watcher is built and every listener attached in one synchronous step: etcd3's
        // create() resolves only once the watch is connected, so listeners attached after it would
        // miss a disconnect while connecting (etcd3 then reconnects on its own and no relist
        // happens) and any event delivered before the fiber resumed.
        yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const watcher = client.watch().prefix(options.prefix).watcher()
              watcher.on("connected", () => Deferred.doneUnsafe(created, Effect.void))
              watcher.on("put", (kv) => seen(false, kv))
              watcher.on("delete", (kv) => seen(true, kv))
              // etcd3 would reconnect on its own; a relist instead keeps one retry owner and
              // catches anything compacted away while disconnected.
              watcher.on("disconnected", (error) => breakWith(`disconnected: ${error.message}`))
              watcher.on("error", (error) => breakWith(`error: ${error.message}`))
              watcher.on("end", () => breakWith("stream ended"))
              return watcher
            },
            catch: (error) => new WatchBroken(`watch not created: ${String(error)}`)
          }),
          (watcher: Watcher) =>
            // Detach the watcher, so that closing the connection leaves etcd3 nothing to
            // re-establish; its answer is not awaited, as it never comes on a dead stream.
            Effect.sync(() => void watcher.cancel().catch(() => undefined))
        )
        // However the session ends, what its watcher shows afterwards is not followed.
        yield* Effect.addFinalizer(() => Effect.sync(() => void (ended = true)))
        // Creating the watch can hang on a frozen member: it gets as long as two probes would.
        yield* Effect.raceFirst(Deferred.await(created), Deferred.await(broken)).pipe(
          Effect.timeoutOrElse({
            duration: Duration.times(stallProbeInterval, 2),
            orElse: () => Effect.fail(new WatchBroken("the watch was not created in time"))
          })
        )
        // Listed after the watch was created, so at its revision or a newer one: nothing falls
        // between the two.
        const revision = yield* relist(client)
        listedAt = BigInt(revision)
        watched = listedAt
        watchEvents = 0
        for (const event of held.splice(0)) follow(event.deleted, event.kv)
        return yield* Effect.raceFirst(Deferred.await(broken), stallProbe(client, attempt, listedAt))
      }).pipe(Effect.scoped)

      yield* session.pipe(
        Effect.catch((error) =>
          Effect.gen(function*() {
            relists++
            consecutiveFailures++
            const delay = watchRestartDelay(consecutiveFailures, yield* Random.next)
            yield* Effect.logDebug("informer: watch broken, relisting").pipe(Effect.annotateLogs({
              prefix: options.prefix,
              error: error.message,
              delay: Duration.format(delay)
            }))
            yield* Effect.sleep(delay)
          })
        ),
        Effect.forever,
        Effect.forkScoped
      )
    })
  )
