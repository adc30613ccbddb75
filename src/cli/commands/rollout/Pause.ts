// `mdeploy rollout pause NAME`: sets spec.paused, so the controller keeps observing the instance
// but takes no action on it. Idempotent: pausing a paused instance writes nothing.
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { withStores } from "../../Stores.ts"
import { updateSpec } from "./updateSpec.ts"

export const pause = Command.make(
  "pause",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.rollout.pause")(function*({ name }) {
    const update = yield* withStores(
      updateSpec(
        name,
        (instance) => Effect.succeed(instance.spec.paused === true ? Option.none() : Option.some({ ...instance.spec, paused: true })),
        { repeatUnanswered: true }
      )
    )
    yield* Console.log(`serviceinstance/${name} ${update._tag === "Updated" ? "paused" : "already paused"}`)
  })
).pipe(
  Command.withDescription("Pause an instance: the controller observes it but takes no action"),
  Command.withExamples([{ command: "mdeploy rollout pause web.main", description: "Hold web.main where it is" }])
)
