// How the CLI module's own output reaches the terminal. Asked-for help and --version go to stdout;
// a usage error is one line on stderr naming the problem and the command's --help, never the
// whole help page (scripts read stdout, and 45 lines of help bury the one that matters).
import { Console } from "effect"
import { CliOutput } from "effect/cli"

const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

/** `error: <problem>[; <problem>...] (run 'mdeploy <path> --help')`. */
export const usageLine = (commandPath: ReadonlyArray<string>, problems: ReadonlyArray<string>): string => {
  const path = commandPath.length === 0
    ? "mdeploy"
    : commandPath[0] === "mdeploy"
    ? commandPath.join(" ")
    : `mdeploy ${commandPath.join(" ")}`
  const message = problems.length === 0 ? "missing subcommand" : problems.map(oneLine).join("; ")
  return `error: ${message} (run '${path} --help')`
}

export const layer = CliOutput.layerPresenter({
  present: (event) => {
    switch (event._tag) {
      case "InvalidInvocation":
        return Console.error(usageLine(event.commandPath, event.errors.map((error) => error.message)))
      // Help shown because a command was used without a subcommand: a usage error too.
      case "Help":
        return event.reason === "Implicit"
          ? Console.error(usageLine(event.commandPath, []))
          : CliOutput.defaultPresenter.present(event)
      case "Version":
        return CliOutput.defaultPresenter.present(event)
    }
  }
})
