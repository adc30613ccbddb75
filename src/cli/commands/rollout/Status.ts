// `mdeploy rollout status NAME [--watch=false] [--timeout D]`: where the rollout of the stored spec
// stands. It waits by default, as kubectl's does. --watch=false: print the state once and exit 0
// when rolled out, 1 otherwise. Waiting: follow the spec
// and status keys through etcd watches until rolled out (0), stalled or invalid (1) or timed out (1),
// or etcd is lost (2); on a terminal one progress line is redrawn in place, elsewhere each change
// is a new line.
// The state once is read through etcd's JSON gateway (no etcd3 loaded); the wait (followRollout.ts,
// loaded only then) uses etcd3's watches.
import { Console, Duration, Effect, Option, Stdio, Terminal } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { SpecStore } from "../../../store/SpecStore.ts"
import { StatusStore } from "../../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { fitToWidth, rolloutProgress } from "../../render/RolloutProgress.ts"
import { withReadStores } from "../../ReadStores.ts"
import type { Outcome, TimedOut } from "./followRollout.ts"
import { parseDuration } from "./parseDuration.ts"
import { notFound } from "./updateSpec.ts"

const finish = (name: string, outcome: Outcome) => {
  switch (outcome._tag) {
    case "Done":
      return Console.log(`serviceinstance/${name} successfully rolled out`)
    case "Failed":
      return Effect.fail(exitWith(ExitCode.invalid, `error: serviceinstance/${name} ${outcome.reason}`))
    case "Progressing":
      return Effect.fail(
        exitWith(ExitCode.invalid, `serviceinstance/${name}: rollout in progress: ${outcome.reason} (drop --watch=false to wait)`)
      )
    case "Deleted":
      return Effect.fail(exitWith(ExitCode.notFound, `error: serviceinstance "${name}" was deleted`))
    case "Corrupt":
      return Effect.fail(exitWith(ExitCode.error, `error: ${name}: stored spec is unreadable: ${outcome.message}`))
  }
}

/** Shows one line per change: redrawn in place on a terminal, appended elsewhere. */
const makeDisplay = Effect.fnUntraced(function*() {
  const tty = yield* (yield* Stdio.Stdio).stdoutIsTerminal
  const terminal = yield* Terminal.Terminal
  let last = ""
  const show = (line: string) =>
    Effect.gen(function*() {
      if (line === last) return
      last = line
      if (!tty) return yield* Console.log(line)
      const columns = yield* terminal.columns
      yield* terminal.display(`\r\x1b[2K${fitToWidth(line, columns)}`).pipe(Effect.orDie)
    })
  // Leaves the redrawn line in place and moves below it.
  const end = Effect.suspend(() => tty && last !== "" ? terminal.display("\n").pipe(Effect.orDie) : Effect.void)
  return { show, end }
})

export const status = Command.make(
  "status",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name")),
    watch: Flag.Boolean("watch").pipe(
      Flag.withAlias("w"),
      Flag.withDescription(
        "wait, following status changes, until the rollout is done, stalled or timed out (default; --watch=false prints the state once)"
      ),
      Flag.withDefault(true)
    ),
    timeout: Flag.String("timeout").pipe(
      Flag.withDescription("give up after this long, e.g. 30s, 5m, 1h30m (0: no limit); implies --watch"),
      Flag.filterMap(parseDuration, () => "a duration such as 30s, 5m, 1h30m, or 0 for no limit"),
      Flag.optional
    )
  },
  Effect.fn("Cli.rollout.status")(function*({ name, watch, timeout }) {
    const display = yield* makeDisplay()
    const limit = Option.flatten(timeout)
    const once = withReadStores(Effect.gen(function*() {
      const found = yield* (yield* SpecStore).get(name)
      if (Option.isNone(found)) return yield* notFound(name)
      const current = yield* (yield* StatusStore).get(name)
      const progress = rolloutProgress(found.value, Option.getOrUndefined(current))
      yield* display.show(progress.line)
      return progress.state as Outcome | TimedOut
    }))
    const follow = Effect.promise(() => import("./followRollout.ts")).pipe(
      Effect.flatMap(({ followRollout }) => followRollout(name, limit, display.show))
    )
    const outcome = yield* (!watch && Option.isNone(timeout) ? once : follow).pipe(Effect.ensuring(display.end))
    if (outcome._tag === "TimedOut") {
      const after = Option.match(limit, { onNone: () => "", onSome: (duration) => ` after ${Duration.format(duration)}` })
      return yield* exitWith(ExitCode.invalid, `error: timed out waiting for serviceinstance/${name} to roll out${after}`)
    }
    yield* finish(name, outcome)
  })
).pipe(
  Command.withDescription(
    "Show the rollout of an instance, waiting until it is done (exit 0), stalled (1), timed out (1) or etcd is lost (2)"
  ),
  Command.withExamples([
    { command: "mdeploy rollout status web.main --timeout 10m", description: "Wait up to ten minutes for the rollout (CI gate)" },
    { command: "mdeploy rollout status web.main --watch=false", description: "Print where the rollout stands; exit 0 only when rolled out" }
  ])
)
