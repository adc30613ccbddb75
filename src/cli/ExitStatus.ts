// How a command's end maps to its documented exit code (design.md §6, README) and the one-line
// messages printed on stderr; shared by the parsed command line (RunCommand.ts) and the quick
// `get` (QuickGet.ts).
import { Cause } from "effect"
import { CliExit, ExitCode } from "./CliExit.ts"
import { interruptedExitCode } from "./SignalStop.ts"

export interface ExitStatus {
  readonly code: number
  readonly lines: ReadonlyArray<string>
}

export const exitStatusOf = (cause: Cause.Cause<unknown>): ExitStatus => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const error = failure.value
    if (error instanceof CliExit) return { code: error.code, lines: error.lines }
    const tagged = error as { _tag?: string; message?: string; oneLine?: unknown }
    // Parse and usage errors were already rendered, one line, by UsagePresenter.
    if (
      typeof tagged._tag === "string" &&
      /^(MissingOption|MissingArgument|InvalidValue|UnrecognizedOption|DuplicateOption|UnknownSubcommand|ShowHelp|UserError)/.test(
        tagged._tag
      )
    ) {
      return { code: ExitCode.error, lines: [] }
    }
    // A store error names its endpoint and operation in `oneLine`.
    const line = typeof tagged.oneLine === "string" ? tagged.oneLine : tagged.message ?? String(error)
    return { code: ExitCode.error, lines: [`error: ${line}`] }
  }
  if (Cause.hasInterruptsOnly(cause)) return { code: interruptedExitCode(), lines: [] }
  return { code: ExitCode.error, lines: [`error: unexpected failure: ${Cause.pretty(cause).split("\n")[0]}`] }
}

/** Prints the status's lines on stderr and sets the process's exit code. */
export const reportExit = ({ code, lines }: ExitStatus): void => {
  for (const line of lines) process.stderr.write(`${line}\n`)
  process.exitCode = code
}
