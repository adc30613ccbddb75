// Which `-o` values each command honours. `-o` is a shared flag, so the parser accepts it
// everywhere; a command given a format it cannot print refuses it (exit 2) instead of quietly
// printing something else, so `-o json` never yields text a script then fails to parse.
import { Effect } from "effect"
import { Command } from "effect/cli"
import { ExitCode, exitWith } from "./CliExit.ts"
import type { GlobalOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"

export type OutputFormat = GlobalOptions["output"]

/** Fails with exit 2 unless the global `-o` is one of `allowed` (table, the default, always is). */
export const requireOutput = (command: string, allowed: ReadonlyArray<OutputFormat>) =>
  Effect.gen(function*() {
    const { output } = yield* root
    if (output === "table" || allowed.includes(output)) return
    const supported = ["table", ...allowed.filter((format) => format !== "table")].join(", ")
    return yield* exitWith(ExitCode.error, `error: -o ${output} is not supported by 'mdeploy ${command}' (supported: ${supported})`)
  })

/** The command with its `-o` checked before its handler runs. */
export const withOutputs =
  (command: string, allowed: ReadonlyArray<OutputFormat> = []) =>
  <const Name extends string, Input, E, R, ContextInput>(self: Command.Command<Name, Input, ContextInput, E, R>) =>
    Command.provideEffectDiscard(self, requireOutput(command, allowed))
