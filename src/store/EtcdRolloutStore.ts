// RolloutStore on etcd (design.md §13): `<p>/rollouts/<name>/<generation>`, newest 20 per instance.
// Recording only queues the pass: one fiber folds passes in order into the instance's history and
// writes what changed, so a pass never waits on etcd (an election would otherwise hold it for the
// retries); a full queue drops the newest, a failed write is logged and the history read again.
// A pass's writes hold only while the leader key it ran under does (a deposed leader writes none).
// Only the leader's passes reach it (standbys run none). The history it folds into is re-read when
// older than `cacheMs` — another replica may have led meanwhile — and a steady pass of a generation
// already finished costs no read at all, so idle resync passes reach etcd never.
import { Clock, Duration, Effect, Layer, Queue, Result, Schema } from "effect"
import { foldPass } from "../rollouts/FoldPass.ts"
import type { PassTrace } from "../rollouts/Rollout.ts"
import { Rollout } from "../rollouts/Rollout.ts"
import { RolloutStore } from "../rollouts/RolloutStore.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"

const cacheMs = 10_000
const decode = Schema.decodeUnknownResult(Schema.fromJsonString(Rollout))

/** An instance's rollouts from their stored values, newest first; unreadable ones are left out. */
export const rolloutsOf = (values: Iterable<string>): ReadonlyArray<Rollout> => {
  const rollouts: Array<Rollout> = []
  for (const value of values) {
    const decoded = decode(value)
    if (Result.isSuccess(decoded)) rollouts.push(decoded.success)
  }
  return rollouts.sort((a, b) => b.generation - a.generation)
}

export const etcdRolloutStoreLayer: Layer.Layer<RolloutStore, never, EtcdClient> = Layer.effect(
  RolloutStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)

    const list = (instance: string) =>
      Effect.gen(function*() {
        const values = yield* etcd.callIdempotent("list rollouts", (client) => client.getAll().prefix(keys.rolloutsOf(instance)).strings())
        return rolloutsOf(Object.values(values))
      })

    const cache = new Map<string, { readonly history: ReadonlyArray<Rollout>; readonly readAt: number }>()
    // The generation whose rollout is known finished (or that never needed one), per instance.
    const settled = new Map<string, number>()

    const fold = (pass: PassTrace) =>
      Effect.gen(function*() {
        const steady = pass.actions.length === 0 && pass.phase === "Running"
        if (steady && settled.get(pass.instance) === pass.generation) return
        const now = yield* Clock.currentTimeMillis
        const cached = cache.get(pass.instance)
        const history = cached !== undefined && now - cached.readAt < cacheMs ? cached.history : yield* list(pass.instance)
        const folded = foldPass(history, pass)
        // One transaction, held by the leader key the pass ran under: a pass queued by a term
        // that is over (this process was deposed, or stopped) writes nothing.
        const held = yield* etcd.call("write rollout", (client) => {
          const writes = [
            ...folded.changed.map((rollout) => client.put(keys.rollout(pass.instance, rollout.generation)).value(JSON.stringify(rollout))),
            ...folded.dropped.map((generation) => client.delete().key(keys.rollout(pass.instance, generation)))
          ]
          if (writes.length === 0) return Promise.resolve(true)
          const fence = pass.fence
          // A pass recorded outside a leadership term (only tests record one) is written unconditionally.
          if (fence === undefined) return Promise.all(writes.map((write) => write.exec())).then(() => true)
          return client.if(fence.key, "Create", "==", fence.createRevision).then(...writes).commit().then((result) => result.succeeded)
        })
        if (!held) {
          cache.delete(pass.instance)
          return yield* Effect.logInfo("rollout not recorded: the leadership term of its pass is over").pipe(
            Effect.annotateLogs({ instance: pass.instance, generation: pass.generation })
          )
        }
        cache.set(pass.instance, {
          history: folded.history,
          readAt: cached?.readAt !== undefined && now - cached.readAt < cacheMs ? cached.readAt : now
        })
        const current = folded.history.find((rollout) => rollout.generation === pass.generation)
        if (current === undefined ? steady : current.result === "Succeeded") settled.set(pass.instance, pass.generation)
        else settled.delete(pass.instance)
      }).pipe(
        // A rollout is worth less than the pass it tells of: never fail anything over one.
        Effect.catch((error) =>
          Effect.sync(() => cache.delete(pass.instance)).pipe(
            Effect.andThen(
              Effect.logWarning("rollout not recorded").pipe(
                Effect.annotateLogs({ instance: pass.instance, generation: pass.generation, error: error.oneLine })
              )
            )
          )
        )
      )

    const pending = yield* Queue.dropping<PassTrace>(4_096)
    yield* Queue.take(pending).pipe(Effect.flatMap(fold), Effect.forever, Effect.forkScoped)
    yield* Effect.addFinalizer(() =>
      Queue.clear(pending).pipe(
        Effect.flatMap((left) => Effect.forEach(left, fold, { discard: true })),
        Effect.timeoutOption(Duration.seconds(2)),
        Effect.ignore
      )
    )

    return RolloutStore.of({
      record: (pass) => Queue.offer(pending, pass).pipe(Effect.asVoid),
      list
    })
  })
)
