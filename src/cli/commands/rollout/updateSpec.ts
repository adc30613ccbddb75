// Read-modify-write of one stored spec for the rollout verbs (restart, pause, resume, undo). The
// write is a compare-and-swap on the revision that was read; a lost race re-reads and recomputes
// the change, a few times, before giving up with exit 3. A missing instance is exit 4.
import { Effect, Option, Schedule } from "effect"
import type { ServiceInstanceSpec } from "../../../domain/ServiceInstanceSpec.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"
import type { CorruptSpecError } from "../../../store/SpecStore.ts"
import { SpecConflictError, SpecStore } from "../../../store/SpecStore.ts"
import type { StoreError } from "../../../store/StoreError.ts"
import type { CliExit } from "../../CliExit.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"

/** Lost compare-and-swap races: re-read at once, then back off a little, 5 attempts in all. */
const conflictRetry = Schedule.exponential("20 millis").pipe(Schedule.jittered)
const conflictAttempts = 5

export type SpecUpdate =
  | { readonly _tag: "Updated"; readonly before: StoredInstance; readonly after: StoredInstance }
  | { readonly _tag: "Unchanged"; readonly instance: StoredInstance }

export const notFound = (name: string) => exitWith(ExitCode.notFound, `error: serviceinstance "${name}" not found`)

/**
 * Applies `change` to the stored spec of `name`. `change` returns the new spec, or None when there
 * is nothing to do; it runs again on every retry, against the freshly read instance.
 */
export const updateSpec = Effect.fn("Cli.rollout.updateSpec")(function*<E, R>(
  name: string,
  change: (instance: StoredInstance) => Effect.Effect<Option.Option<ServiceInstanceSpec>, E, R>
): Effect.fn.Return<SpecUpdate, E | CliExit | StoreError | CorruptSpecError, R | SpecStore> {
  const store = yield* SpecStore
  const attempt = Effect.gen(function*() {
    const found = yield* store.get(name)
    if (Option.isNone(found)) return yield* notFound(name)
    const before = found.value
    const next = yield* change(before)
    if (Option.isNone(next)) return { _tag: "Unchanged", instance: before } satisfies SpecUpdate
    const { action, instance } = yield* store.apply(
      { ...before, spec: next.value },
      { expectedResourceVersion: before.metadata.resourceVersion, current: found }
    )
    return action === "unchanged"
      ? { _tag: "Unchanged", instance } satisfies SpecUpdate
      : { _tag: "Updated", before, after: instance } satisfies SpecUpdate
  })
  return yield* attempt.pipe(
    Effect.retry({ schedule: conflictRetry, times: conflictAttempts - 1, while: (error) => error instanceof SpecConflictError }),
    Effect.catch((error) =>
      Effect.fail(
        error instanceof SpecConflictError
          ? exitWith(ExitCode.conflict, `error: ${name}: conflict: ${error.message} (gave up after ${conflictAttempts} attempts)`)
          : error
      )
    )
  )
})
