// Leadership's memory layer: one seat held in this process, with the same contract as the etcd
// seat (the first campaigner wins, standbys wait for the seat to be freed, a term ends when its
// holder resigns or is deposed). `depose` stands for a lost lease or a deleted leader key, so the
// controller's handling of lost leadership can be tested on TestClock without etcd.
import { Deferred, Effect, Option } from "effect"
import type { Scope } from "effect"
import type { EtcdSession } from "./EtcdSession.ts"
import type { LeadershipOptions, Term } from "./Leadership.ts"

export interface MemoryElection {
  readonly campaign: (options: LeadershipOptions) => Effect.Effect<Option.Option<Term>, never, Scope.Scope>
  /** The identity that holds the seat now, if any. */
  readonly holder: Effect.Effect<string | undefined>
  /** Ends the current term at once and frees the seat, as an expired lease would. */
  readonly depose: Effect.Effect<void>
  /** How many terms have been won so far. */
  readonly terms: Effect.Effect<number>
}

interface Seat {
  readonly identity: string
  readonly ended: Deferred.Deferred<void>
  readonly freed: Deferred.Deferred<void>
}

export const makeMemoryElection: Effect.Effect<MemoryElection> = Effect.sync(() => {
  let seat: Seat | undefined
  let terms = 0

  const free = (held: Seat) =>
    Effect.suspend(() => {
      if (seat !== held) return Effect.void
      seat = undefined
      return Effect.andThen(Deferred.succeed(held.ended, undefined), Deferred.succeed(held.freed, undefined))
    })

  const session = (held: Seat, term: number, ttlSeconds: number): EtcdSession => {
    const valid = Effect.map(Deferred.isDone(held.ended), (done) => !done)
    return {
      leaseId: `memory-${term}`,
      ttlSeconds,
      isValid: valid,
      remainingMs: Effect.map(valid, (ok) => (ok ? (ttlSeconds * 2000) / 3 : 0)),
      lost: Deferred.await(held.ended)
    }
  }

  const campaign = (options: LeadershipOptions) =>
    Effect.gen(function*() {
      const current = seat
      if (current !== undefined) {
        yield* Deferred.await(current.freed)
        return Option.none<Term>()
      }
      const held: Seat = { identity: options.identity, ended: yield* Deferred.make<void>(), freed: yield* Deferred.make<void>() }
      seat = held
      const term = ++terms
      // Resigning (the scope closes) frees the seat the way revoking the lease frees the key.
      yield* Effect.addFinalizer(() => free(held))
      return Option.some<Term>({
        leader: { fence: { key: "leader", createRevision: String(term) }, session: session(held, term, options.ttlSeconds) },
        ended: Deferred.await(held.ended)
      })
    })

  return {
    campaign,
    holder: Effect.sync(() => seat?.identity),
    depose: Effect.suspend(() => (seat === undefined ? Effect.void : free(seat))),
    terms: Effect.sync(() => terms)
  }
})
