// How a command ends with a documented, non-zero exit code (design.md §6): the handler fails with
// CliExit; the entry point prints `lines` to stderr, one problem per line, and exits with `code`.
import { Schema } from "effect"

/** Exit codes, as documented in the README. */
export const ExitCode = {
  ok: 0,
  /** apply: invalid input; diff: differences found; rollout status: stalled or timed out. */
  invalid: 1,
  /** usage errors, unreachable or failing etcd/Marathon, diff errors; reconcile: error. */
  error: 2,
  /** a stale resourceVersion or a lost compare-and-swap race. */
  conflict: 3,
  /** get/describe/delete: no such instance. */
  notFound: 4,
  /** reconcile: the instance lock is held by someone else. */
  lockHeld: 5
} as const

export class CliExit extends Schema.TaggedError<CliExit>()("CliExit", {
  code: Schema.Int,
  lines: Schema.Array(Schema.String)
}) {}

export const exitWith = (code: number, ...lines: ReadonlyArray<string>) => new CliExit({ code, lines })
