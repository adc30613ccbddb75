// Whether an etcd member answers, and the cluster's revision as it tells it: what every informer's
// stall probe asks its watch's member each second (Informer.ts). A leading controller runs six
// informers (specs, statuses, drain records, GitSources and their sync requests, notifiers; the
// events too once a notifier exists), so asked alone, an idle controller made six etcd reads a
// second, for about half of its idle CPU. Here the informers that watch through one member share
// one read: a caller takes the answer to a read begun since its own previous probe, or begins one.
// So an informer never takes the same answer twice (two failed probes in a row are two reads that
// failed), and no answer it takes is older than its probe interval.
//
// The reads go over a connection of their own to each member (EtcdClient.dedicated, the same round
// robin an informer's session uses), not over one informer's: a connection that only one informer
// lost shows in that informer's watch (an error, or events that stop while its own prefix reads
// find changes) and must not make the others leave a member that answers.
import { Clock, Context, Deferred, Effect, Layer, Scope } from "effect"
import type { Etcd3 } from "etcd3"
import { EtcdClient } from "./EtcdClient.ts"
import { memberOf } from "./EtcdOptions.ts"
import type { StoreError } from "./StoreError.ts"

/** The last read of one member, answered or not yet. */
interface Beat {
  readonly startedAt: number
  readonly answer: Deferred.Deferred<bigint, StoreError>
}

export class MemberPulse extends Context.Service<MemberPulse, {
  /**
   * The cluster's revision as the `attempt`-th member (EtcdClient.dedicated's round robin) answers
   * it, from a read begun after `after` (ms, the Effect clock), with a deadline of `timeoutMs` when
   * this call begins it. Fails when that read was not answered in time.
   */
  readonly revision: (attempt: number, after: number, timeoutMs: number) => Effect.Effect<bigint, StoreError>
}>()("mdeploy/store/MemberPulse") {
  static readonly layer = Layer.effect(
    MemberPulse,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      // Reads and their connections live as long as the layer: a read outlives the informer that
      // began it, as the others may be waiting for its answer.
      const scope = yield* Effect.scope
      const members = etcd.endpoints.split(",").length
      const connections = new Map<number, Etcd3>()
      const beats = new Map<number, Beat>()
      // Any key answers with the cluster's revision; this one costs etcd a single lookup.
      const key = `${etcd.prefix}/`

      const connection = (member: number) =>
        Effect.gen(function*() {
          const known = connections.get(member)
          if (known !== undefined) return known
          const made = yield* etcd.dedicated(member).pipe(Scope.provide(scope))
          connections.set(member, made)
          return made
        })

      const read = (member: number, timeoutMs: number) =>
        Effect.gen(function*() {
          const client = yield* connection(member)
          const answer = yield* etcd.call("informer probe", () => client.get(key).options({ deadline: Date.now() + timeoutMs }).exec())
          return BigInt(answer.header.revision)
        })

      const revision = (attempt: number, after: number, timeoutMs: number) =>
        Effect.gen(function*() {
          const member = memberOf(attempt, members)
          const now = yield* Clock.currentTimeMillis
          const last = beats.get(member)
          if (last !== undefined && last.startedAt > after) return yield* Deferred.await(last.answer)
          const answer = yield* Deferred.make<bigint, StoreError>()
          beats.set(member, { startedAt: now, answer })
          yield* Effect.forkIn(read(member, timeoutMs).pipe(Deferred.into(answer)), scope)
          return yield* Deferred.await(answer)
        })

      return MemberPulse.of({ revision })
    })
  )
}
