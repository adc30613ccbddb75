// `mdeploy rollout history NAME`: the kept revisions (the newest 10 generations' specs) with what
// changed at each; -o yaml|json prints the entries, specs included.
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { SpecStore } from "../../../store/SpecStore.ts"
import { toJson, toYaml } from "../../render/Documents.ts"
import { historyDocuments, historyTable, revisionViews } from "../../render/RolloutHistory.ts"
import { root } from "../../Root.ts"
import { withStores } from "../../Stores.ts"
import { notFound } from "./updateSpec.ts"

export const history = Command.make(
  "history",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.rollout.history")(function*({ name }) {
    const flags = yield* root
    const views = yield* withStores(Effect.gen(function*() {
      const specs = yield* SpecStore
      const found = yield* specs.get(name)
      if (Option.isNone(found)) return yield* notFound(name)
      return revisionViews(yield* specs.history(name), found.value.metadata.generation)
    }))
    if (flags.output === "json") yield* Console.log(toJson([historyDocuments(views)], true).trimEnd())
    else if (flags.output === "yaml") yield* Console.log(toYaml([historyDocuments(views)]).trimEnd())
    else if (views.length === 0) yield* Console.error(`No revisions kept for serviceinstance/${name}.`)
    else yield* Console.log(historyTable(views))
  })
).pipe(
  Command.withDescription("List the kept revisions of an instance and what changed in each"),
  Command.withExamples([
    { command: "mdeploy rollout history web.main", description: "Revisions as a table" },
    { command: "mdeploy rollout history web.main -o json", description: "Revisions with their full specs" }
  ])
)
