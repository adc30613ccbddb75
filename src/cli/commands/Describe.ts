// `mdeploy describe NAME`: spec, status, conditions and revision history of one instance.
import { Clock, Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { StatusStore } from "../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { describeView } from "../render/DescribeView.ts"
import { withStores } from "../Stores.ts"

export const describe = Command.make(
  "describe",
  { name: Argument.String("name").pipe(Argument.withDescription("instance name")) },
  Effect.fn("Cli.describe")(function*({ name }) {
    const text = yield* withStores(Effect.gen(function*() {
      const specs = yield* SpecStore
      const found = yield* specs.get(name as InstanceName)
      if (Option.isNone(found)) return yield* exitWith(ExitCode.notFound, `error: serviceinstance "${name}" not found`)
      const status = yield* (yield* StatusStore).get(name as InstanceName)
      const history = yield* specs.history(name as InstanceName)
      return describeView({
        instance: found.value,
        status: Option.getOrUndefined(status),
        history,
        nowMillis: yield* Clock.currentTimeMillis
      })
    }))
    yield* Console.log(text)
  })
).pipe(
  Command.withDescription("Show one ServiceInstance in detail: spec, status, conditions, history"),
  Command.withExamples([{ command: "mdeploy describe web.main", description: "Everything about web.main" }])
)
