// The quick `mdeploy get` (QuickGetArgs.ts says which command lines): the same listing, stores,
// logger and exit codes as the parsed command, without the command-line module. A signal ends it
// as Node ends any process, as the parsed `get` would end (130).
import { Effect, Exit, Result } from "effect"
import { parseLabelSelector } from "../domain/LabelSelector.ts"
import * as TraceLogger from "../telemetry/TraceLogger.ts"
import { ExitCode, exitWith } from "./CliExit.ts"
import { listInstances } from "./commands/get/InstanceListing.ts"
import { connectionOptions } from "./ConnectionOptions.ts"
import { exitStatusOf, reportExit } from "./ExitStatus.ts"
import type { QuickGet } from "./QuickGetArgs.ts"
import { providingStores, readStoreLayer } from "./StoreLayers.ts"

export const runQuickGet = async (request: QuickGet): Promise<void> => {
  const program = Effect.gen(function*() {
    const selector = request.selector === undefined ? Result.succeed([]) : parseLabelSelector(request.selector)
    if (Result.isFailure(selector)) return yield* exitWith(ExitCode.error, `error: ${selector.failure}`)
    return yield* providingStores(readStoreLayer(connectionOptions(request.settings)))(listInstances({
      names: request.names,
      selector: selector.success,
      selectorGiven: request.selector !== undefined,
      showLabels: request.showLabels,
      output: request.output
    }))
  })
  const exit = await Effect.runPromiseExit(program.pipe(Effect.provide(TraceLogger.layer(request.log))))
  if (Exit.isFailure(exit)) reportExit(exitStatusOf(exit.cause))
}
