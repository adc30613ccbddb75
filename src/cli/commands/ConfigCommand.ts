// `mdeploy config get-contexts | current-context | use-context NAME | set-context NAME [flags]`:
// kubectl's context verbs over the mdeploy config file (config/ConfigFile.ts). set-context records
// the connection flags given on its command line (--etcd, --etcd-prefix, --etcd-ca, --etcd-cert,
// --etcd-key, --etcd-user, --marathon) and leaves the context's other fields as they are.
import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ExitCode, exitWith } from "../CliExit.ts"
import { configPath } from "../config/ActiveContext.ts"
import type { ContextField, MdeployConfig } from "../config/ConfigFile.ts"
import { contextFields, emptyConfig, parseConfig } from "../config/ConfigFile.ts"
import { setContext, updateConfigFile } from "../config/ConfigWriter.ts"
import { withOutputs } from "../OutputFormats.ts"
import { renderTable } from "../render/Table.ts"

const path = () => configPath(process.env, homedir())

/** The file as it is now (bin.ts has already refused a broken one). */
const readConfig = Effect.sync((): MdeployConfig => {
  const file = path()
  return existsSync(file) ? parseConfig(readFileSync(file, "utf8"), file).config : emptyConfig
})

const writeFailure = (error: unknown) =>
  exitWith(ExitCode.error, `error: ${path()}: cannot write the config file: ${(error as Error).message}`)

/** Pure: the context fields given as flags on the command line (`--etcd X` or `--etcd=X`; the last one wins). */
export const contextFieldsFromArgs = (argv: ReadonlyArray<string>): Partial<Record<ContextField, string>> => {
  const fields: Partial<Record<ContextField, string>> = {}
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    if (token === "--") break
    const [flag, inline] = token.includes("=")
      ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)]
      : [token, undefined]
    const field = flag.slice(2) as ContextField
    if (!flag.startsWith("--") || !Object.hasOwn(contextFields, field)) continue
    const value = inline ?? argv[index + 1]
    if (inline === undefined) index++
    if (value !== undefined) fields[field] = value
  }
  return fields
}

const getContexts = Command.make("get-contexts", {}, () =>
  Effect.gen(function*() {
    const config = yield* readConfig
    if (config.contexts.size === 0) {
      return yield* Console.error(`No contexts in ${path()}; add one with 'mdeploy config set-context NAME --etcd URL --marathon URL'.`)
    }
    yield* Console.log(renderTable(
      ["CURRENT", "NAME", "ETCD", "PREFIX", "MARATHON"],
      [...config.contexts].map(([name, context]) => [
        name === config.currentContext ? "*" : "",
        name,
        context.etcd ?? "-",
        context["etcd-prefix"] ?? "-",
        context.marathon ?? "-"
      ])
    ))
  })).pipe(Command.withDescription("List the contexts of the config file; * marks the current one"))

const currentContext = Command.make("current-context", {}, () =>
  Effect.gen(function*() {
    const config = yield* readConfig
    if (config.currentContext === undefined) return yield* exitWith(ExitCode.invalid, `error: ${path()}: current-context is not set`)
    yield* Console.log(config.currentContext)
  })).pipe(Command.withDescription("Print the current context's name (exit 1 when none is set)"))

const useContext = Command.make(
  "use-context",
  { name: Argument.String("name").pipe(Argument.withDescription("context name")) },
  ({ name }) =>
    Effect.gen(function*() {
      const config = yield* readConfig
      if (!config.contexts.has(name)) {
        const known = [...config.contexts.keys()].join(", ")
        return yield* exitWith(
          ExitCode.notFound,
          `error: ${path()}: context "${name}" not found (contexts: ${known === "" ? "none" : known})`
        )
      }
      yield* Effect.try({ try: () => updateConfigFile(path(), (document) => document.set("current-context", name)), catch: writeFailure })
      yield* Console.log(`Switched to context "${name}".`)
    })
).pipe(Command.withDescription("Make a context the current one"))

const setContextCommand = Command.make(
  "set-context",
  {
    name: Argument.String("name").pipe(Argument.withDescription("context name")),
    use: Flag.Boolean("use").pipe(Flag.withDescription("also make it the current context"), Flag.withDefault(false))
  },
  ({ name, use }) =>
    Effect.gen(function*() {
      const fields = contextFieldsFromArgs(process.argv.slice(2))
      yield* Effect.try({ try: () => setContext(path(), name, fields, use), catch: writeFailure })
      yield* Console.log(`Context "${name}" ${Object.keys(fields).length === 0 ? "unchanged" : "set"} in ${path()}.`)
    })
).pipe(
  Command.withDescription(
    "Create or update a context from --etcd, --etcd-prefix, --etcd-ca, --etcd-cert, --etcd-key, --etcd-user and --marathon"
  ),
  Command.withExamples([{
    command: "mdeploy config set-context prod --etcd https://etcd1:2379,https://etcd2:2379 --marathon https://marathon:8443 --use",
    description: "A context for production, made current"
  }])
)

export const configCommand = Command.make("config").pipe(
  Command.withDescription(
    "Manage contexts: named etcd and Marathon connections in the config file ($MDEPLOY_CONFIG or ~/.config/mdeploy/config.yaml)"
  ),
  Command.withSubcommands([
    getContexts.pipe(withOutputs("config get-contexts")),
    currentContext.pipe(withOutputs("config current-context")),
    useContext.pipe(withOutputs("config use-context")),
    setContextCommand.pipe(withOutputs("config set-context"))
  ])
)
