// `mdeploy rollout restart NAME`: a bounce with an unchanged config, by writing the current time
// into spec.forceBounce (it is part of the app identity hash, so the controller creates a new app
// and moves the tasks over with the instance's bounce method). A new generation, written by CAS.
import { Console, DateTime, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { withStores } from "../../Stores.ts"
import { updateSpec } from "./updateSpec.ts"

export const restart = Command.make(
  "restart",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.rollout.restart")(function*({ name }) {
    yield* withStores(updateSpec(name, (instance) =>
      Effect.gen(function*() {
        const stamp = DateTime.formatIso(yield* DateTime.now)
        return Option.some({ ...instance.spec, forceBounce: stamp })
      })))
    yield* Console.log(`serviceinstance/${name} restarted`)
  })
).pipe(
  Command.withDescription("Restart every task of an instance with its current config (sets spec.forceBounce)"),
  Command.withExamples([{ command: "mdeploy rollout restart web.main", description: "Bounce web.main with its bounce method" }])
)
