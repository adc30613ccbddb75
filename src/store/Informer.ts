// A client-go style informer over one etcd prefix: list, then watch from the list revision + 1,
// and relist (with backoff) whenever the watch breaks — compaction, a lost stream, an etcd restart.
// A relist is diffed against what was already delivered, so consumers see only real changes: an
// Upsert per new or changed key, a Delete per vanished key, then Synced. The stream never fails;
// it retries until interrupted.
import { Deferred, Duration, Effect, Queue, Random, Stream } from "effect"
import type { Watcher } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"

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
}

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
      // key → mod revision of what consumers have been told exists.
      const delivered = new Map<string, string>()
      let relists = 0
      let consecutiveFailures = 0

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

      const relist = Effect.gen(function*() {
        const response = yield* etcd.call("informer list", (client) => client.getAll().prefix(options.prefix).exec())
        const seen = new Set<string>()
        for (const kv of response.kvs) {
          const key = kv.key.toString()
          seen.add(key)
          if (delivered.get(key) !== kv.mod_revision) deliver(key, kv.value.toString(), kv.mod_revision)
        }
        for (const key of [...delivered.keys()]) {
          if (!seen.has(key)) {
            delivered.delete(key)
            emit({ _tag: "Delete", key, modRevision: response.header.revision })
          }
        }
        consecutiveFailures = 0
        emit({ _tag: "Synced", revision: response.header.revision, relists })
        return response.header.revision
      })

      // Watch from `revision + 1` until the stream breaks; fails with WatchBroken. The watcher is
      // built and every listener attached in one synchronous step: etcd3's create() resolves only
      // once the watch is connected, so listeners attached after it would miss a disconnect while
      // connecting (etcd3 would then reconnect on its own and no relist would happen) and any event
      // delivered before the fiber resumed.
      const watchFrom = (revision: string) =>
        Effect.gen(function*() {
          const broken = yield* Deferred.make<never, WatchBroken>()
          // Once broken, a watcher's late events must not land on top of the relist.
          let live = true
          const breakWith = (reason: string) => {
            live = false
            Deferred.doneUnsafe(broken, Effect.fail(new WatchBroken(reason)))
          }
          yield* Effect.acquireRelease(
            Effect.try({
              try: () => {
                const watcher = etcd.client.watch().prefix(options.prefix).startRevision((BigInt(revision) + 1n).toString())
                  .watcher()
                watcher.on("put", (kv) => {
                  if (live) deliver(kv.key.toString(), kv.value.toString(), kv.mod_revision)
                })
                watcher.on("delete", (kv) => {
                  const key = kv.key.toString()
                  if (live && delivered.delete(key)) emit({ _tag: "Delete", key, modRevision: kv.mod_revision })
                })
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
              Effect.suspend(() => {
                live = false
                // cancel() waits for the server's answer, which never comes on a dead stream.
                return Effect.promise(() => watcher.cancel().catch(() => undefined)).pipe(Effect.timeoutOption("1 second"))
              })
          )
          return yield* Deferred.await(broken)
        }).pipe(Effect.scoped)

      const session = Effect.gen(function*() {
        const revision = yield* relist
        return yield* watchFrom(revision)
      })

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
