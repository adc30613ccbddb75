// `mdeploy rollout history NAME [--revision N]`: the kept revisions (the newest 10 changes of the
// app that runs) with what changed at each; --revision N shows one in full; -o yaml|json prints
// the entries, specs included. Revisions the controller rolled out show the rollout's outcome and
// its steps with their durations.
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { appIdOf } from "../../../domain/Revision.ts"
import { RolloutStore } from "../../../rollouts/RolloutStore.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { toJson, toYaml } from "../../render/Documents.ts"
import { historyDocuments, historyTable, revisionDetail, revisionViews } from "../../render/RolloutHistory.ts"
import { root } from "../../Root.ts"
import { withReadRecords } from "../../ReadRecords.ts"
import { notFound } from "./updateSpec.ts"

export const history = Command.make(
  "history",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name")),
    revision: Flag.Int("revision").pipe(Flag.withDescription("show this revision in full"), Flag.optional)
  },
  Effect.fn("Cli.rollout.history")(function*({ name, revision }) {
    const flags = yield* root
    const all = yield* withReadRecords(Effect.gen(function*() {
      const specs = yield* SpecStore
      const found = yield* specs.get(name)
      if (Option.isNone(found)) return yield* notFound(name)
      const kept = yield* specs.history(name)
      // The current revision is the newest one whose app is the one the spec runs now.
      const running = appIdOf(name, found.value.spec)
      const current = kept.findLast((entry) => (entry.appId ?? appIdOf(name, entry.spec)) === running)
      // What the controller did for each revision, from its traces (design.md §13).
      const rollouts = yield* (yield* RolloutStore).list(name)
      return revisionViews(kept, current?.generation ?? 0, rollouts)
    }))
    const views = Option.isSome(revision) ? all.filter((view) => view.revision === revision.value) : all
    if (Option.isSome(revision) && views.length === 0) {
      const list = all.map((view) => view.revision).join(", ")
      return yield* exitWith(
        ExitCode.invalid,
        `error: serviceinstance/${name} has no revision ${revision.value} (kept: ${list === "" ? "none" : list})`
      )
    }
    const documents = historyDocuments(views)
    const single = Option.isSome(revision)
    if (flags.output === "json") yield* Console.log(toJson([single ? documents[0]! : documents], true).trimEnd())
    else if (flags.output === "yaml") yield* Console.log(toYaml([single ? documents[0]! : documents]).trimEnd())
    else if (single) yield* Console.log(revisionDetail(name, views[0]!))
    else if (views.length === 0) yield* Console.error(`No revisions kept for serviceinstance/${name}.`)
    else yield* Console.log(historyTable(views))
  })
).pipe(
  Command.withDescription("List the kept revisions of an instance (each a change of the app that runs) and what changed in each"),
  Command.withExamples([
    { command: "mdeploy rollout history web.main", description: "Revisions as a table" },
    { command: "mdeploy rollout history web.main --revision 3", description: "Revision 3 in full" },
    { command: "mdeploy rollout history web.main -o json", description: "Revisions with their full specs" }
  ])
)
