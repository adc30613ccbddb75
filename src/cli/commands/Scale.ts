// `mdeploy scale NAME --replicas N`: sets spec.instances, as `kubectl scale` does. The app id
// leaves instances out, so the controller scales the running app in place: no bounce, and no
// revision in the history. A later apply keeps the count unless its manifest sets instances
// (domain/LastApplied.ts). Idempotent: scaling to the current count writes nothing.
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ExitCode, exitWith } from "../CliExit.ts"
import { withStores } from "../Stores.ts"
import { updateSpec } from "./rollout/updateSpec.ts"

/** The schema's bound on spec.instances. */
const maxReplicas = 10_000

export const scale = Command.make(
  "scale",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name")),
    replicas: Flag.Int("replicas").pipe(Flag.withDescription(`number of tasks, 0 to ${maxReplicas}`))
  },
  Effect.fn("Cli.scale")(function*({ name, replicas }) {
    if (replicas < 0 || replicas > maxReplicas) {
      return yield* exitWith(ExitCode.error, `error: --replicas must be between 0 and ${maxReplicas} (run 'mdeploy scale --help')`)
    }
    const update = yield* withStores(
      updateSpec(
        name,
        (instance) =>
          Effect.succeed(instance.spec.instances === replicas ? Option.none() : Option.some({ ...instance.spec, instances: replicas })),
        { repeatUnanswered: true }
      )
    )
    yield* Console.log(`serviceinstance/${name} ${update._tag === "Updated" ? "scaled" : "unchanged"} (instances: ${replicas})`)
  })
).pipe(
  Command.withDescription("Set the number of tasks of an instance (scaled in place, no bounce)"),
  Command.withExamples([{ command: "mdeploy scale web.main --replicas 5", description: "Run five tasks of web.main" }])
)
