// Read-modify-write of one stored spec for the rollout verbs (restart, pause, resume, undo). The
// write is a compare-and-swap on the revision that was read; a lost race re-reads and recomputes
// the change, a few times, before giving up with exit 3. A missing instance is exit 4. A change that
// sets a value (pause, resume, scale, restart's one stamp, undo's chosen revision) is also repeated
// when etcd did not answer its write: that write may have landed, and setting the value again from
// a fresh read is harmless. `change` is told when it runs after such a write, so that undo keeps
// the revision it chose instead of going back one further.
import { Effect, Option, Schedule } from "effect"
import type { ServiceInstanceSpec } from "../../../domain/ServiceInstanceSpec.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"
import type { CorruptSpecError } from "../../../store/SpecStore.ts"
import { SpecConflictError, SpecStore } from "../../../store/SpecStore.ts"
import { StoreError } from "../../../store/StoreError.ts"
import type { CliExit } from "../../CliExit.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"

/** Lost compare-and-swap races: re-read at once, then back off a little, 5 attempts in all. */
const conflictRetry = Schedule.exponential("20 millis").pipe(Schedule.jittered)
const conflictAttempts = 5

export type SpecUpdate =
  | { readonly _tag: "Updated"; readonly before: StoredInstance; readonly after: StoredInstance }
  | { readonly _tag: "Unchanged"; readonly instance: StoredInstance }

export const notFound = (name: string) => exitWith(ExitCode.notFound, `error: serviceinstance "${name}" not found`)

/** What a try of `change` is told: whether an earlier try's write got no answer (and may have landed). */
export interface UpdateTry {
  readonly afterUnanswered: boolean
}

/**
 * Applies `change` to the stored spec of `name`. `change` returns the new spec, or None when there
 * is nothing to do; it runs again on every retry, against the freshly read instance.
 */
export const updateSpec = Effect.fn("Cli.rollout.updateSpec")(function*<E, R>(
  name: string,
  change: (instance: StoredInstance, attempt: UpdateTry) => Effect.Effect<Option.Option<ServiceInstanceSpec>, E, R>,
  options: { readonly repeatUnanswered?: boolean } = {}
): Effect.fn.Return<SpecUpdate, E | CliExit | StoreError | CorruptSpecError, R | SpecStore> {
  const store = yield* SpecStore
  // What the first try read: a repeat that finds the value set although the spec moved since
  // reports the first try's write as this command's.
  let firstRead: StoredInstance | undefined
  let unanswered = false
  const attempt = Effect.gen(function*() {
    const found = yield* store.get(name)
    if (Option.isNone(found)) return yield* notFound(name)
    const before = found.value
    firstRead ??= before
    const next = yield* change(before, { afterUnanswered: unanswered })
    if (Option.isNone(next)) {
      return unanswered && firstRead.metadata.resourceVersion !== before.metadata.resourceVersion
        ? { _tag: "Updated", before: firstRead, after: before } satisfies SpecUpdate
        : { _tag: "Unchanged", instance: before } satisfies SpecUpdate
    }
    const { action, instance } = yield* store.apply(
      { ...before, spec: next.value },
      { expectedResourceVersion: before.metadata.resourceVersion, current: found }
    ).pipe(Effect.tapError((error) => Effect.sync(() => (unanswered ||= error instanceof StoreError && error.retryable))))
    return action === "unchanged"
      ? { _tag: "Unchanged", instance } satisfies SpecUpdate
      : { _tag: "Updated", before, after: instance } satisfies SpecUpdate
  })
  const worthRepeating = (error: unknown) =>
    error instanceof SpecConflictError || (options.repeatUnanswered === true && error instanceof StoreError && error.retryable)
  return yield* attempt.pipe(
    Effect.retry({ schedule: conflictRetry, times: conflictAttempts - 1, while: worthRepeating }),
    Effect.catch((error) =>
      Effect.fail(
        error instanceof SpecConflictError
          ? exitWith(ExitCode.conflict, `error: ${name}: conflict: ${error.message} (gave up after ${conflictAttempts} attempts)`)
          : error
      )
    )
  )
})
