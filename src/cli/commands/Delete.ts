// `mdeploy delete NAME... | -f PATH`: remove specs; the controller then drains and deletes their
// apps, within the deletion budget (design.md §11). All named specs go in one etcd transaction,
// each compared with the revision just read: all or none. Exit 4 when a name is unknown (the
// others are still deleted).
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
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
    const targets = [...names]
    if (Option.isSome(filename)) {
      const { documents, problems } = yield* readManifests(filename.value, recursive)
      if (problems.length > 0) return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem))
      targets.push(...documents.map(({ document }) => document.metadata.name))
    }
    if (targets.length === 0) return yield* exitWith(ExitCode.error, "error: name at least one instance, or -f PATH")
    const missing = yield* withStores(Effect.gen(function*() {
      const store = yield* SpecStore
      const { removed, missing } = yield* store.removeAll(targets as ReadonlyArray<InstanceName>).pipe(
        Effect.catchTag("SpecConflictError", (error) => Effect.fail(exitWith(ExitCode.conflict, `error: ${error.name}: conflict: ${error.message}`)))
      )
      for (const name of removed) yield* Console.log(`serviceinstance/${name} deleted`)
      return missing
    }))
    if (missing.length > 0) {
      return yield* exitWith(ExitCode.notFound, ...missing.map((name) => `error: serviceinstance "${name}" not found`))
    }
  })
).pipe(
  Command.withDescription("Delete ServiceInstances; the controller then drains and removes their Marathon apps"),
  Command.withExamples([
    { command: "mdeploy delete web.canary", description: "Delete one instance" },
    { command: "mdeploy delete -f old-services/", description: "Delete every instance named in the manifests" }
  ])
)
