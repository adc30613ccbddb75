// Composition root of the `mdeploy` binary: the command tree, Node's platform services, and the
// mapping of every way a command can end to a documented exit code with one-line messages.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { homedir } from "node:os"
import { Cause, ConfigProvider, Effect, Exit, Layer, Runtime } from "effect"
import { Command } from "effect/cli"
import { loadCli } from "./cli/Cli.ts"
import { CliExit, ExitCode } from "./cli/CliExit.ts"
import { activeContext } from "./cli/config/ActiveContext.ts"
import { commandName, normalizeArgs } from "./cli/KubectlArgs.ts"
import { interruptedExitCode } from "./cli/SignalStop.ts"
import * as UsagePresenter from "./cli/UsagePresenter.ts"
import { version } from "./cli/Version.ts"
import * as TraceLogger from "./telemetry/TraceLogger.ts"

// grpc-js names an etcd endpoint given by IP address in the TLS handshake's SNI, which Node
// answers with a deprecation warning on stderr (DEP0123) on every TLS run; Node ignores such a
// name anyway. Only that warning is dropped, so stderr keeps one line per problem.
const emitWarning = process.emitWarning.bind(process)
process.emitWarning = ((warning: string | Error, ...rest: Array<unknown>) => {
  const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1]
  if (code === "DEP0123") return
  ;(emitWarning as (...args: Array<unknown>) => void)(warning, ...rest)
}) as typeof process.emitWarning

const exitCodeOf = (cause: Cause.Cause<unknown>): { code: number; lines: ReadonlyArray<string> } => {
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

/** A signal ends the main fiber by interruption; SignalStop says whether that is success. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    ? onExit(interruptedExitCode())
    : Runtime.defaultTeardown(exit, onExit)

const args = normalizeArgs(process.argv.slice(2))
const name = commandName(args)
const cli = await loadCli(name, name === undefined && args.includes("--version"))
// A context stands in for the MDEPLOY_* variables it sets, after the real environment: flags win,
// then environment variables, then the context, then the built-in defaults.
const context = await activeContext(args, process.env, homedir())
if (context.problems.length > 0) {
  for (const problem of context.problems) process.stderr.write(`error: ${problem}\n`)
  process.exit(ExitCode.error)
}

cli.pipe(
  (command) => Command.runWith(command, { version })(args),
  // Every command logs the same way: one logfmt (or MDEPLOY_LOG_FORMAT=json) line per record, on
  // stderr, so stdout carries only what was asked for.
  Effect.provide(
    Layer.mergeAll(TraceLogger.layerFromEnv(), UsagePresenter.layer, ConfigProvider.layerAdd(ConfigProvider.fromUnknown(context.env)))
  ),
  Effect.catchCause((cause) =>
    Effect.sync(() => {
      const { code, lines } = exitCodeOf(cause)
      for (const line of lines) process.stderr.write(`${line}\n`)
      process.exitCode = code
    })
  ),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, teardown })
)
