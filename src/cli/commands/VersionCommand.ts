// `mdeploy version`: kubectl's spelling of `--version`. Prints the client version to stdout.
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { version } from "../Version.ts"

export const versionCommand = Command.make("version", {}, () => Console.log(`mdeploy v${version}`).pipe(Effect.asVoid)).pipe(
  Command.withDescription("Print the mdeploy version (same as --version)")
)
