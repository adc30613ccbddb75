// The `get -w` entry: refuses output formats a live table cannot print, marks the command as one
// that runs until a signal (Ctrl-C is a clean stop, exit 0), and runs the watch with the stores.
import { Effect } from "effect"
import type { LabelSelector } from "../domain/LabelSelector.ts"
import { ExitCode, exitWith } from "./CliExit.ts"
import type { OutputFormat } from "./OutputFormats.ts"
import { markRunsUntilSignal } from "./SignalStop.ts"
import { withStores } from "./Stores.ts"

export const getWatch = Effect.fnUntraced(function*(options: {
  readonly names: ReadonlyArray<string>
  readonly selector: LabelSelector
  readonly selectorGiven: boolean
  readonly output: OutputFormat
  readonly showLabels: boolean
}) {
  if (options.output !== "table" && options.output !== "wide") {
    return yield* exitWith(
      ExitCode.error,
      `error: -o ${options.output} is not supported with 'mdeploy get --watch' (supported: table, wide)`
    )
  }
  yield* markRunsUntilSignal
  const { watchTable } = yield* Effect.promise(() => import("./GetWatch.ts"))
  yield* withStores(watchTable({ ...options, wide: options.output === "wide" }))
})
