// `mdeploy rollout undo NAME [--to-revision N]`: makes the instance run what a kept revision ran
// again — the revision's app-defining fields, written back as a new generation (CAS), so the
// controller rolls to it like to any other change. How it runs (paused, instances, desiredState,
// bounce, drain) stays as it is now (domain/Revision.ts), as do labels and annotations. Without
// --to-revision: the newest kept revision whose app differs from the one running now. A write etcd
// did not answer is repeated with the revision its first try chose (rollBack.ts).
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { withStores } from "../../Stores.ts"
import { rollBack } from "./rollBack.ts"

export const undo = Command.make(
  "undo",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name")),
    toRevision: Flag.Int("to-revision").pipe(
      Flag.withDescription("revision to restore (see rollout history); default: the one before the current"),
      Flag.optional
    )
  },
  Effect.fn("Cli.rollout.undo")(function*({ name, toRevision }) {
    const { update, revision } = yield* withStores(rollBack(name, toRevision))
    yield* Console.log(
      update._tag === "Unchanged"
        ? `serviceinstance/${name} skipped rollback (already runs revision ${revision})`
        : `serviceinstance/${name} rolled back to revision ${revision}`
    )
  })
).pipe(
  Command.withDescription("Run what an earlier revision ran again (its app-defining fields), as a new generation"),
  Command.withExamples([
    { command: "mdeploy rollout undo web.main", description: "Back to the revision before the current one" },
    { command: "mdeploy rollout undo web.main --to-revision 3", description: "Back to revision 3 (see rollout history)" }
  ])
)
