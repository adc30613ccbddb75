// Runs a command line through the full parser: the command tree (only the named command loaded),
// Node's platform services, the shared logger, and the mapping of every end to an exit code.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, ConfigProvider, Effect, Exit, Layer, Runtime } from "effect"
import { Command } from "effect/cli"
import * as LogConfig from "../telemetry/LogConfig.ts"
import { loadCli } from "./Cli.ts"
import { exitStatusOf, reportExit } from "./ExitStatus.ts"
import { commandName } from "./KubectlArgs.ts"
import { interruptedExitCode } from "./SignalStop.ts"
import * as UsagePresenter from "./UsagePresenter.ts"
import { version } from "./Version.ts"

/** A signal ends the main fiber by interruption; SignalStop says whether that is success. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    ? onExit(interruptedExitCode())
    : Runtime.defaultTeardown(exit, onExit)

/**
 * `args`: the normalized command line; `contextEnv`: the MDEPLOY_* variables of the active
 * context, read after the real environment (flags win, then the environment, then the context,
 * then the built-in defaults).
 */
export const runCommand = async (args: ReadonlyArray<string>, contextEnv: Record<string, string>): Promise<void> => {
  const name = commandName(args)
  const cli = await loadCli(name, name === undefined && args.includes("--version"))
  cli.pipe(
    (command) => Command.runWith(command, { version })(args),
    // Every command logs the same way: one logfmt (or MDEPLOY_LOG_FORMAT=json) line per record, on
    // stderr, so stdout carries only what was asked for.
    Effect.provide(
      Layer.mergeAll(LogConfig.layerFromEnv(), UsagePresenter.layer, ConfigProvider.layerAdd(ConfigProvider.fromUnknown(contextEnv)))
    ),
    Effect.catchCause((cause) => Effect.sync(() => reportExit(exitStatusOf(cause)))),
    Effect.provide(NodeServices.layer),
    NodeRuntime.runMain({ disableErrorReporting: true, teardown })
  )
}
