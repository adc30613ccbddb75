// `mdeploy rollout restart NAME`: a bounce with an unchanged config, by writing the current time
// into spec.forceBounce (it is part of the app identity hash, so the controller creates a new app
// and moves the tasks over with the instance's bounce method). A new generation, written by CAS;
// one stamp for the whole command, so a write etcd did not answer can be repeated (forceBounce.ts).
import { Console, DateTime, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { withStores } from "../../Stores.ts"
import { forceBounceAt } from "./forceBounce.ts"
import { updateSpec } from "./updateSpec.ts"

export const restart = Command.make(
  "restart",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.rollout.restart")(function*({ name }) {
    const stamp = DateTime.formatIso(yield* DateTime.now)
    yield* withStores(updateSpec(name, forceBounceAt(stamp), { repeatUnanswered: true }))
    yield* Console.log(`serviceinstance/${name} restarted`)
  })
).pipe(
  Command.withDescription("Restart every task of an instance with its current config (sets spec.forceBounce)"),
  Command.withExamples([{ command: "mdeploy rollout restart web.main", description: "Bounce web.main with its bounce method" }])
)
