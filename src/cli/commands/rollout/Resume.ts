// `mdeploy rollout resume NAME`: sets spec.paused to false, so the controller acts on the instance
// again. Idempotent: resuming an instance that is not paused writes nothing.
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { withStores } from "../../Stores.ts"
import { updateSpec } from "./updateSpec.ts"

export const resume = Command.make(
  "resume",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.rollout.resume")(function*({ name }) {
    const update = yield* withStores(
      updateSpec(
        name,
        (instance) => Effect.succeed(instance.spec.paused === true ? Option.some({ ...instance.spec, paused: false }) : Option.none()),
        { repeatUnanswered: true }
      )
    )
    yield* Console.log(`serviceinstance/${name} ${update._tag === "Updated" ? "resumed" : "already resumed (not paused)"}`)
  })
).pipe(
  Command.withDescription("Resume a paused instance: the controller acts on it again"),
  Command.withExamples([{ command: "mdeploy rollout resume web.main", description: "Let the controller continue with web.main" }])
)
