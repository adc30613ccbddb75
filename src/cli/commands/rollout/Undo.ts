// `mdeploy rollout undo NAME [--to-revision N]`: makes the instance run what a kept revision ran
// again — the revision's app-defining fields, written back as a new generation (CAS), so the
// controller rolls to it like to any other change. How it runs (paused, instances, desiredState,
// bounce, drain) stays as it is now (domain/Revision.ts), as do labels and annotations. Without
// --to-revision: the newest kept revision whose app differs from the one running now.
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { appIdOf, restoreRevision } from "../../../domain/Revision.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { withStores } from "../../Stores.ts"
import { updateSpec } from "./updateSpec.ts"

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
    let restored = 0
    const update = yield* withStores(Effect.gen(function*() {
      const specs = yield* SpecStore
      return yield* updateSpec(name, (instance) =>
        Effect.gen(function*() {
          const kept = yield* specs.history(name)
          const running = appIdOf(name, instance.spec)
          const target = Option.isSome(toRevision)
            ? kept.find((entry) => entry.generation === toRevision.value)
            : kept.filter((entry) => (entry.appId ?? appIdOf(name, entry.spec)) !== running).at(-1)
          if (target === undefined) {
            const list = kept.map((entry) => entry.generation).join(", ")
            return yield* Option.isSome(toRevision)
              ? exitWith(
                ExitCode.invalid,
                `error: serviceinstance/${name} has no revision ${toRevision.value} (kept: ${list === "" ? "none" : list})`
              )
              : exitWith(
                ExitCode.invalid,
                `error: serviceinstance/${name} has no earlier revision to roll back to (kept: ${list === "" ? "none" : list})`
              )
          }
          restored = target.generation
          return Option.some(restoreRevision(instance.spec, target.spec))
        }))
    }))
    if (update._tag === "Unchanged") {
      yield* Console.log(`serviceinstance/${name} skipped rollback (already runs revision ${restored})`)
    } else {
      yield* Console.log(`serviceinstance/${name} rolled back to revision ${restored}`)
    }
  })
).pipe(
  Command.withDescription("Run what an earlier revision ran again (its app-defining fields), as a new generation"),
  Command.withExamples([
    { command: "mdeploy rollout undo web.main", description: "Back to the revision before the current one" },
    { command: "mdeploy rollout undo web.main --to-revision 3", description: "Back to revision 3 (see rollout history)" }
  ])
)
