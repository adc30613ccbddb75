// `mdeploy get [NAME...] [-l selector] [-o table|wide|yaml|json|name] [--show-labels] [-w]`: specs
// with a status summary. Exit 4 when a named instance does not exist (the others are still
// printed). -w keeps the table live from etcd watches (GetWatch.ts).
// `mdeploy get gitsources [NAME...]` lists GitSources instead (design.md §12), `get notifiers`
// the Notifiers (§15), their endpoints shown as `$VAR` or redacted, never a secret.
import { Clock, Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { parseLabelSelector } from "../../domain/LabelSelector.ts"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { NotifierStore } from "../../store/NotifierStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { getWatch } from "../GetWatchCommand.ts"
import { listInstances } from "./get/InstanceListing.ts"
import { otherKinds } from "./get/ResourceNouns.ts"
import { gitSourceTable } from "../render/GitSourceView.ts"
import { notifierTable, shownNotifier } from "../render/NotifierView.ts"
import { root } from "../Root.ts"
import { withReadStores } from "../ReadStores.ts"

const getGitSources = Effect.fnUntraced(function*(names: ReadonlyArray<string>) {
  const flags = yield* root
  const { rows, missing } = yield* withReadStores(Effect.gen(function*() {
    const store = yield* GitSourceStore
    const sources = yield* store.list()
    const statuses = yield* store.statuses()
    const wanted = names.length === 0 ? sources : sources.filter((source) => names.includes(source.metadata.name))
    const missing = names.filter((name) => !sources.some((source) => source.metadata.name === name))
    return { rows: wanted.map((source) => ({ source, status: statuses.get(source.metadata.name) })), missing }
  }))
  if (flags.output === "yaml" || flags.output === "json") {
    const documents = rows.map(({ source, status }) => ({ ...source, ...(status === undefined ? {} : { status }) }))
    const { toYaml } = yield* Effect.promise(() => import("../render/Documents.ts"))
    yield* Console.log(flags.output === "json" ? JSON.stringify(documents, null, 2) : toYaml(documents).trimEnd())
  } else if (rows.length > 0) yield* Console.log(gitSourceTable(rows, yield* Clock.currentTimeMillis))
  else if (missing.length === 0) yield* Console.error("No GitSources found.")
  if (missing.length > 0) return yield* exitWith(ExitCode.notFound, ...missing.map((name) => `error: gitsource "${name}" not found`))
})

const getNotifiers = Effect.fnUntraced(function*(names: ReadonlyArray<string>) {
  const flags = yield* root
  const all = yield* withReadStores(Effect.flatMap(NotifierStore, (store) => store.list()))
  const rows = names.length === 0 ? all : all.filter((notifier) => names.includes(notifier.metadata.name))
  const missing = names.filter((name) => !all.some((notifier) => notifier.metadata.name === name))
  if (flags.output === "yaml" || flags.output === "json") {
    const documents = rows.map(shownNotifier)
    const { toYaml } = yield* Effect.promise(() => import("../render/Documents.ts"))
    yield* Console.log(flags.output === "json" ? JSON.stringify(documents, null, 2) : toYaml(documents).trimEnd())
  } else if (flags.output === "name") {
    for (const notifier of rows) yield* Console.log(`notifier/${notifier.metadata.name}`)
  } else if (rows.length > 0) yield* Console.log(notifierTable(rows, yield* Clock.currentTimeMillis))
  else if (missing.length === 0) yield* Console.error("No Notifiers found.")
  if (missing.length > 0) return yield* exitWith(ExitCode.notFound, ...missing.map((name) => `error: notifier "${name}" not found`))
})

export const get = Command.make(
  "get",
  {
    names: Argument.String("name").pipe(Argument.withDescription("instance names (all when omitted)"), Argument.variadic()),
    selector: Flag.String("selector").pipe(
      Flag.withAlias("l"),
      Flag.withDescription("label selector, e.g. team=payments,tier!=batch"),
      Flag.optional
    ),
    showLabels: Flag.Boolean("show-labels").pipe(Flag.withDescription("add a LABELS column"), Flag.withDefault(false)),
    watch: Flag.Boolean("watch").pipe(
      Flag.withAlias("w"),
      Flag.withDescription("after the table, print a line per change until Ctrl-C (table and wide output only)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("Cli.get")(function*({ names, selector, showLabels, watch }) {
    const flags = yield* root
    if (otherKinds.gitSources.has(names[0] ?? "")) return yield* getGitSources(names.slice(1))
    if (otherKinds.notifiers.has(names[0] ?? "")) return yield* getNotifiers(names.slice(1))
    const parsedSelector = Option.isSome(selector) ? parseLabelSelector(selector.value) : Result.succeed([])
    if (Result.isFailure(parsedSelector)) return yield* exitWith(ExitCode.error, `error: ${parsedSelector.failure}`)
    if (watch) {
      return yield* getWatch({
        names,
        selector: parsedSelector.success,
        selectorGiven: Option.isSome(selector),
        output: flags.output,
        showLabels
      })
    }
    return yield* withReadStores(listInstances({
      names,
      selector: parsedSelector.success,
      selectorGiven: Option.isSome(selector),
      showLabels,
      output: flags.output
    }))
  })
).pipe(
  Command.withDescription("List ServiceInstances with their rollout status"),
  Command.withExamples([
    { command: "mdeploy get", description: "All instances" },
    { command: "mdeploy get -l team=payments -o wide", description: "One team's instances, more columns" },
    { command: "mdeploy get web.main -o yaml", description: "One instance as re-appliable YAML" },
    { command: "mdeploy get -w", description: "The table, then a line per change until Ctrl-C" }
  ])
)
