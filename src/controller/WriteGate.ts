// Writes stop with leadership (design.md §11). Marathon has no fencing tokens, so the bound is on
// our side: a write is started only while the leader lease (and the instance lock bound to it) is
// held with at least `minSpareMs` to spare, and it may run no longer than the time that is left.
// A deposed or frozen leader that wakes up therefore starts nothing, whatever its fibers were doing.
import { Effect, Schema } from "effect"

export class WriteRefused extends Schema.TaggedError<WriteRefused>()("WriteRefused", {
  message: Schema.String
}) {}

export interface WriteGate {
  /** Fails when no write may start now; else the milliseconds one write may take (undefined: no bound). */
  readonly check: Effect.Effect<number | undefined, WriteRefused>
  readonly refuse: (message: string) => Effect.Effect<never, WriteRefused>
}

const refuse = (message: string) => Effect.fail(new WriteRefused({ message }))

/** For callers that hold no lease (tests of the executor alone). */
export const openGate: WriteGate = { check: Effect.succeed(undefined), refuse }

/** No write starts with less than this left on the lease: one Marathon round trip and its answer. */
export const defaultMinSpareMs = 1_000

/** A gate on a lease whose time left is `remainingMs` (0 or less once lost). */
export const leaseGate = (remainingMs: Effect.Effect<number>, minSpareMs = defaultMinSpareMs): WriteGate => ({
  check: Effect.flatMap(remainingMs, (left) =>
    left < minSpareMs
      ? refuse(
        left <= 0
          ? "leadership lost: no Marathon write is started"
          : `only ${Math.round(left)} ms left on the lease: no Marathon write is started`
      )
      : Effect.succeed(left - minSpareMs / 2)),
  refuse
})
