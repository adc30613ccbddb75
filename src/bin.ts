// Composition root of the `mdeploy` binary: the context, then either the quick `get` (the most
// typed command, answered without the command-line module: QuickGetArgs.ts) or the full parser
// (RunCommand.ts, loaded on demand, so that the quick path never pays for it).
import { homedir } from "node:os"
import { ExitCode } from "./cli/CliExit.ts"
import { activeContext } from "./cli/config/ActiveContext.ts"
import { normalizeArgs } from "./cli/KubectlArgs.ts"
import { runQuickGet } from "./cli/QuickGet.ts"
import { quickGet } from "./cli/QuickGetArgs.ts"

/**
 * Runs the command line. The shim (bin/mdeploy.js) loads this module while it checks that the
 * bundle is not older than the sources, so loading it must do nothing: everything happens here.
 */
export const main = async (): Promise<void> => {
  // grpc-js names an etcd endpoint given by IP address in the TLS handshake's SNI, which Node
  // answers with a deprecation warning on stderr (DEP0123) on every TLS run; Node ignores such a
  // name anyway. Only that warning is dropped, so stderr keeps one line per problem.
  const emitWarning = process.emitWarning.bind(process)
  process.emitWarning = ((warning: string | Error, ...rest: Array<unknown>) => {
    const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1]
    if (code === "DEP0123") return
    ;(emitWarning as (...args: Array<unknown>) => void)(warning, ...rest)
  }) as typeof process.emitWarning

  const args = normalizeArgs(process.argv.slice(2))
  // A context stands in for the MDEPLOY_* variables it sets, after the real environment: flags win,
  // then environment variables, then the context, then the built-in defaults.
  const context = await activeContext(args, process.env, homedir())
  if (context.problems.length > 0) {
    for (const problem of context.problems) process.stderr.write(`error: ${problem}\n`)
    process.exit(ExitCode.error)
  }

  // MDEPLOY_QUICK_GET=0 sends every `get` through the full parser (the tests compare the two).
  const quick = process.env["MDEPLOY_QUICK_GET"] === "0"
    ? undefined
    : quickGet(args, (name) => process.env[name] ?? context.env[name])
  // The quick path is imported, not loaded on demand: its modules share the one chunk (Effect's core
  // and Schema, the stores) every command loads anyway, and a chunk of its own would cost a file.
  if (quick !== undefined) await runQuickGet(quick)
  else await (await import("./cli/RunCommand.ts")).runCommand(args, context.env)
}
