// `mdeploy delete NAME... | -f PATH | -l SELECTOR | --all [--ignore-not-found]`: remove specs; the
// controller then drains and deletes their apps, within the deletion budget (design.md §11). All
// targeted specs go in one etcd transaction, each compared with the revision just read: all or
// none (one etcd did not answer is checked, then repeated: store/internal/unansweredDelete.ts).
// Exit 4 when a named instance is unknown (the others are still deleted), unless
// --ignore-not-found. A selector or --all that matches nothing is not an error (as in kubectl).
// `delete gitsource NAME...` (or GitSource documents in `-f` files) deletes GitSources with their
// status and pending request; the specs they wrote stay, now managed by hand. `delete notifier
// NAME...` (or Notifier documents) deletes Notifiers; their delivery records expire on their own.
import { Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
import { matchesSelector, parseLabelSelector } from "../../domain/LabelSelector.ts"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { NotifierStore } from "../../store/NotifierStore.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { root } from "../Root.ts"
import { withStores } from "../Stores.ts"
import { filenameFlag, recursiveFlag } from "./Apply.ts"

const sourceNouns = ["gitsource", "gitsources", "gs"]
const notifierNouns = ["notifier", "notifiers"]

export const deleteCommand = Command.make(
  "delete",
  {
    names: Argument.String("name").pipe(Argument.withDescription("instance names"), Argument.variadic()),
    filename: filenameFlag.pipe(Flag.optional),
    recursive: recursiveFlag,
    selector: Flag.String("selector").pipe(
      Flag.withAlias("l"),
      Flag.withDescription("delete every instance matching this label selector, e.g. team=payments"),
      Flag.optional
    ),
    all: Flag.Boolean("all").pipe(Flag.withDescription("delete every instance"), Flag.withDefault(false)),
    ignoreNotFound: Flag.Boolean("ignore-not-found").pipe(
      Flag.withDescription("exit 0 when a named instance does not exist"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("Cli.delete")(function*({ names, filename, recursive, selector, all, ignoreNotFound }) {
    const flags = yield* root
    const sourceNoun = sourceNouns.includes(names[0] ?? "")
    const notifierNoun = notifierNouns.includes(names[0] ?? "")
    const targets = sourceNoun || notifierNoun ? [] : [...names]
    const sourceTargets = sourceNoun ? names.slice(1) : []
    const notifierTargets = notifierNoun ? names.slice(1) : []
    if (Option.isSome(filename)) {
      const { documents, sources, notifiers, problems } = yield* readManifests(filename.value, recursive)
      if (problems.length > 0) return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem))
      targets.push(...documents.map(({ document }) => document.metadata.name))
      sourceTargets.push(...sources.map(({ document }) => document.metadata.name))
      notifierTargets.push(...notifiers.map(({ document }) => document.metadata.name))
    }
    const named = targets.length > 0 || sourceTargets.length > 0 || notifierTargets.length > 0 || Option.isSome(filename)
    const ways = [named, Option.isSome(selector), all].filter(Boolean).length
    if (ways === 0) {
      return yield* exitWith(
        ExitCode.error,
        "error: name at least one instance, or use -f PATH, -l SELECTOR or --all (run 'mdeploy delete --help')"
      )
    }
    if (ways > 1) {
      return yield* exitWith(
        ExitCode.error,
        "error: give names (or -f), -l SELECTOR or --all, not more than one (run 'mdeploy delete --help')"
      )
    }
    const parsedSelector = Option.isSome(selector) ? parseLabelSelector(selector.value) : Result.succeed([])
    if (Result.isFailure(parsedSelector)) return yield* exitWith(ExitCode.error, `error: -l: ${parsedSelector.failure}`)
    const byQuery = Option.isSome(selector) || all
    const missingSources = sourceTargets.length === 0 ? [] : yield* withStores(Effect.gen(function*() {
      const sources = yield* GitSourceStore
      const missing: Array<string> = []
      for (const name of sourceTargets) {
        if (yield* sources.remove(name)) yield* Console.log(flags.output === "name" ? `gitsource/${name}` : `gitsource/${name} deleted`)
        else missing.push(name)
      }
      return missing
    }))
    const missingNotifiers = notifierTargets.length === 0 ? [] : yield* withStores(Effect.gen(function*() {
      const store = yield* NotifierStore
      const missing: Array<string> = []
      for (const name of notifierTargets) {
        if (yield* store.remove(name)) yield* Console.log(flags.output === "name" ? `notifier/${name}` : `notifier/${name} deleted`)
        else missing.push(name)
      }
      return missing
    }))
    const missing = targets.length === 0 && !byQuery ? [] : yield* withStores(Effect.gen(function*() {
      const store = yield* SpecStore
      if (byQuery) {
        const listed = yield* store.list()
        for (const instance of listed.items) {
          if (matchesSelector(parsedSelector.success, instance.metadata.labels ?? {})) targets.push(instance.metadata.name)
        }
        if (targets.length === 0) {
          yield* Console.error("No ServiceInstances matched; nothing deleted.")
          return []
        }
      }
      const { removed, missing } = yield* store.removeAll(targets as ReadonlyArray<InstanceName>).pipe(
        Effect.catchTag(
          "SpecConflictError",
          (error) => Effect.fail(exitWith(ExitCode.conflict, `error: ${error.name}: conflict: ${error.message}`))
        )
      )
      for (const name of removed) {
        yield* Console.log(flags.output === "name" ? `serviceinstance/${name}` : `serviceinstance/${name} deleted`)
      }
      // A spec listed a moment ago and deleted by someone else since is gone either way.
      return byQuery ? [] : missing
    }))
    const problems = ignoreNotFound ? [] : [
      ...missing.map((name) => `error: serviceinstance "${name}" not found`),
      ...missingSources.map((name) => `error: gitsource "${name}" not found`),
      ...missingNotifiers.map((name) => `error: notifier "${name}" not found`)
    ]
    if (problems.length > 0) return yield* exitWith(ExitCode.notFound, ...problems)
  })
).pipe(
  Command.withDescription("Delete ServiceInstances (or GitSources); the controller then drains and removes their Marathon apps"),
  Command.withExamples([
    { command: "mdeploy delete web.canary", description: "Delete one instance" },
    { command: "mdeploy delete -f old-services/", description: "Delete every instance named in the manifests" },
    { command: "mdeploy delete -l team=payments", description: "Delete one team's instances, in one transaction" },
    { command: "mdeploy delete web.canary --ignore-not-found", description: "Exit 0 when it is already gone" },
    { command: "mdeploy delete gitsource prod-specs", description: "Stop syncing a GitSource (its specs stay)" },
    { command: "mdeploy delete notifier payments-slack", description: "Stop sending a Notifier's notifications" }
  ])
)
