// RolloutStore on etcd (design.md §13): `<p>/rollouts/<name>/<generation>`, newest 20 per instance.
// Recording only queues the pass: one fiber folds the passes queued meanwhile, in order, into their
// instances' histories and writes what changed in one transaction per leadership term, so a pass
// never waits on etcd (an election would otherwise hold it for the retries); a full queue drops the
// newest, a failed write is logged and the histories read again.
// A pass's writes hold only while the leader key it ran under does (a deposed leader writes none).
// Only the leader's passes reach it (standbys run none). The history it folds into is re-read when
// older than `cacheMs` — another replica may have led meanwhile — and a steady pass of a generation
// already finished costs no read at all, so idle resync passes reach etcd never. The histories a
// batch needs are read together, in one transaction.
import { Clock, Duration, Effect, Layer, Queue, Result, Schema } from "effect"
import { foldPass } from "../rollouts/FoldPass.ts"
import type { PassTrace } from "../rollouts/Rollout.ts"
import { Rollout } from "../rollouts/Rollout.ts"
import { RolloutStore } from "../rollouts/RolloutStore.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { prefixEnd } from "./EtcdGateway.ts"
import { makeKeys } from "./Keys.ts"

const cacheMs = 10_000
/** Passes folded into one batch at most. */
const batchPasses = 64
/** Writes per transaction at most: etcd's default --max-txn-ops is 128. */
const maxTxnOps = 100
const decode = Schema.decodeUnknownResult(Schema.fromJsonString(Rollout))

/** An instance's history as read (or as this store's writes left it), and when it was read. */
interface HistoryRead {
  readonly history: ReadonlyArray<Rollout>
  readonly readAt: number
}

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

    /**
     * The histories of `instances`, read together: one read-only transaction of a range each, up
     * to `maxTxnOps` ranges a transaction. A mass rollout's first passes each need their
     * instance's history, and a read each was a fifth of the controller's etcd requests then.
     */
    const listMany = (instances: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const histories = new Map<string, ReadonlyArray<Rollout>>()
        for (let from = 0; from < instances.length; from += maxTxnOps) {
          const chunk = instances.slice(from, from + maxTxnOps)
          const answer = yield* etcd.callIdempotent("list rollouts", (client) =>
            client.kv.txn({
              success: chunk.map((instance) => {
                const start = Buffer.from(keys.rolloutsOf(instance))
                return { request_range: { key: start, range_end: prefixEnd(start) } }
              })
            }))
          chunk.forEach((instance, index) => {
            const kvs = answer.responses[index]?.response_range?.kvs ?? []
            histories.set(instance, rolloutsOf(kvs.map((kv) => kv.value.toString())))
          })
        }
        return histories
      })

    const cache = new Map<string, HistoryRead>()
    // The generation whose rollout is known finished (or that never needed one), per instance.
    const settled = new Map<string, number>()

    /** What a batch writes for one leadership term: the last value per key (undefined: delete). */
    interface TermWrites {
      readonly fence: PassTrace["fence"]
      readonly values: Map<string, string | undefined>
      /** Per instance, the history these writes leave and when its base was read. */
      readonly histories: Map<string, HistoryRead>
      /** Per instance, the generation settled by its last pass in the batch, or undefined (unsettled). */
      readonly settles: Map<string, number | undefined>
    }

    const forget = (instances: Iterable<string>) => {
      for (const instance of instances) {
        cache.delete(instance)
        settled.delete(instance)
      }
    }

    // Passes queued meanwhile are folded together and written in one transaction per leadership
    // term: a mass rollout records a pass per create, and a transaction each was a visible share of
    // the controller's etcd requests. The passes of a term are folded in order, each over the
    // history the previous one left.
    const foldBatch = (passes: ReadonlyArray<PassTrace>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        // What the batch's passes so far left of each instance's history (written or being written).
        const folding = new Map<string, HistoryRead>()
        let term: TermWrites | undefined
        // A term's writes go out before the next term's passes are folded: those must not build
        // on a history its transaction did not write.
        const flush = Effect.suspend(() => {
          const done = term
          term = undefined
          if (done === undefined) return Effect.void
          return Effect.tap(writeTerm(done), (held) =>
            Effect.sync(() => {
              if (!held) { for (const instance of done.histories.keys()) folding.delete(instance) }
            }))
        })
        const isSettled = (pass: PassTrace) =>
          pass.actions.length === 0 && pass.phase === "Running" && settled.get(pass.instance) === pass.generation
        const isFresh = (base: HistoryRead | undefined): base is HistoryRead => base !== undefined && now - base.readAt < cacheMs
        // Every history the batch will need a read of, read before folding, all together. Each is
        // used once: an instance whose folding is set aside (its term's write did not hold) is
        // read again on its own, as etcd may have changed meanwhile.
        const unread = new Set<string>()
        for (const pass of passes) if (!isSettled(pass) && !isFresh(cache.get(pass.instance))) unread.add(pass.instance)
        const prefetched = unread.size > 1 ? yield* listMany([...unread]) : new Map<string, ReadonlyArray<Rollout>>()
        const read = (instance: string) => {
          const history = prefetched.get(instance)
          if (history === undefined) return list(instance)
          prefetched.delete(instance)
          return Effect.succeed(history)
        }
        for (const pass of passes) {
          const steady = pass.actions.length === 0 && pass.phase === "Running"
          if (isSettled(pass)) continue
          if (term !== undefined && (term.fence?.key !== pass.fence?.key || term.fence?.createRevision !== pass.fence?.createRevision)) {
            yield* flush
          }
          const base = folding.get(pass.instance) ?? cache.get(pass.instance)
          const fresh = isFresh(base)
          const history = fresh ? base.history : yield* read(pass.instance)
          const folded = foldPass(history, pass)
          if (term !== undefined && term.values.size + folded.changed.length + folded.dropped.length > maxTxnOps) yield* flush
          term ??= { fence: pass.fence, values: new Map(), histories: new Map(), settles: new Map() }
          for (const rollout of folded.changed) term.values.set(keys.rollout(pass.instance, rollout.generation), JSON.stringify(rollout))
          for (const generation of folded.dropped) term.values.set(keys.rollout(pass.instance, generation), undefined)
          const left = { history: folded.history, readAt: fresh ? base.readAt : now }
          folding.set(pass.instance, left)
          term.histories.set(pass.instance, left)
          const current = folded.history.find((rollout) => rollout.generation === pass.generation)
          const settles = current === undefined ? steady : current.result === "Succeeded"
          term.settles.set(pass.instance, settles ? pass.generation : undefined)
        }
        yield* flush
      }).pipe(
        // A rollout is worth less than the pass it tells of: never fail anything over one.
        Effect.catch((error) =>
          Effect.sync(() => forget(passes.map((pass) => pass.instance))).pipe(
            Effect.andThen(
              Effect.logWarning("rollouts not recorded").pipe(
                Effect.annotateLogs({ instances: new Set(passes.map((pass) => pass.instance)).size, error: error.oneLine })
              )
            )
          )
        )
      )

    // One transaction, held by the leader key the passes ran under: passes queued by a term that is
    // over (this process was deposed, or stopped) write nothing.
    const writeTerm = (term: TermWrites) =>
      Effect.gen(function*() {
        const held = yield* etcd.call("write rollouts", (client) => {
          const writes = [...term.values].map(([key, value]) =>
            value === undefined ? client.delete().key(key) : client.put(key).value(value)
          )
          if (writes.length === 0) return Promise.resolve(true)
          const fence = term.fence
          // Passes recorded outside a leadership term (only tests record one) are written unconditionally.
          if (fence === undefined) return Promise.all(writes.map((write) => write.exec())).then(() => true)
          return client.if(fence.key, "Create", "==", fence.createRevision).then(...writes).commit().then((result) => result.succeeded)
        }).pipe(Effect.tapError(() => Effect.sync(() => forget(term.histories.keys()))))
        if (!held) {
          forget(term.histories.keys())
          yield* Effect.logInfo("rollouts not recorded: the leadership term of their passes is over").pipe(
            Effect.annotateLogs({ instances: term.histories.size })
          )
          return false
        }
        for (const [instance, history] of term.histories) cache.set(instance, history)
        for (const [instance, generation] of term.settles) {
          if (generation === undefined) settled.delete(instance)
          else settled.set(instance, generation)
        }
        return true
      })

    const pending = yield* Queue.dropping<PassTrace>(4_096)
    yield* Queue.takeBetween(pending, 1, batchPasses).pipe(Effect.flatMap(foldBatch), Effect.forever, Effect.forkScoped)
    yield* Effect.addFinalizer(() =>
      Queue.clear(pending).pipe(
        Effect.flatMap(foldBatch),
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
