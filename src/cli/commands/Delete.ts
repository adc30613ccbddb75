// `mdeploy delete NAME... | -f PATH`: remove specs; the controller then drains and deletes their
// apps, within the deletion budget (design.md §11). All named specs go in one etcd transaction,
// each compared with the revision just read: all or none. Exit 4 when a name is unknown (the
// others are still deleted). `delete gitsource NAME...` (or GitSource documents in `-f` files)
// deletes GitSources with their status and pending request; the specs they wrote stay, now
// managed by hand.
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { withStores } from "../Stores.ts"
import { filenameFlag, recursiveFlag } from "./Apply.ts"
import { Flag } from "effect/cli"

export const deleteCommand = Command.make(
  "delete",
  {
    names: Argument.String("name").pipe(Argument.withDescription("instance names"), Argument.variadic()),
    filename: filenameFlag.pipe(Flag.optional),
    recursive: recursiveFlag
  },
  Effect.fn("Cli.delete")(function*({ names, filename, recursive }) {
    const sourceNoun = ["gitsource", "gitsources", "gs"].includes(names[0] ?? "")
    const targets = sourceNoun ? [] : [...names]
    const sourceTargets = sourceNoun ? names.slice(1) : []
    if (Option.isSome(filename)) {
      const { documents, sources, problems } = yield* readManifests(filename.value, recursive)
      if (problems.length > 0) return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem))
      targets.push(...documents.map(({ document }) => document.metadata.name))
      sourceTargets.push(...sources.map(({ document }) => document.metadata.name))
    }
    if (targets.length === 0 && sourceTargets.length === 0) return yield* exitWith(ExitCode.error, "error: name at least one instance, or -f PATH")
    const missingSources = yield* withStores(Effect.gen(function*() {
      const sources = yield* GitSourceStore
      const missing: Array<string> = []
      for (const name of sourceTargets) {
        if (yield* sources.remove(name)) yield* Console.log(`gitsource/${name} deleted`)
        else missing.push(name)
      }
      return missing
    }))
    if (targets.length === 0) {
      if (missingSources.length > 0) return yield* exitWith(ExitCode.notFound, ...missingSources.map((name) => `error: gitsource "${name}" not found`))
      return
    }
    const missing = yield* withStores(Effect.gen(function*() {
      const store = yield* SpecStore
      const { removed, missing } = yield* store.removeAll(targets as ReadonlyArray<InstanceName>).pipe(
        Effect.catchTag("SpecConflictError", (error) => Effect.fail(exitWith(ExitCode.conflict, `error: ${error.name}: conflict: ${error.message}`)))
      )
      for (const name of removed) yield* Console.log(`serviceinstance/${name} deleted`)
      return missing
    }))
    if (missing.length > 0 || missingSources.length > 0) {
      return yield* exitWith(
        ExitCode.notFound,
        ...missing.map((name) => `error: serviceinstance "${name}" not found`),
        ...missingSources.map((name) => `error: gitsource "${name}" not found`)
      )
    }
  })
).pipe(
  Command.withDescription("Delete ServiceInstances; the controller then drains and removes their Marathon apps"),
  Command.withExamples([
    { command: "mdeploy delete web.canary", description: "Delete one instance" },
    { command: "mdeploy delete -f old-services/", description: "Delete every instance named in the manifests" },
    { command: "mdeploy delete gitsource prod-specs", description: "Stop syncing a GitSource (its specs stay)" }
  ])
)
