// `mdeploy rollout status NAME [--watch=false] [--timeout D]`: where the rollout of the stored spec
// stands. It waits by default, as kubectl's does. --watch=false: print the state once and exit 0
// when rolled out, 1 otherwise. Waiting: follow the spec
// and status keys through etcd watches until rolled out (0), stalled or invalid (1) or timed out (1),
// or etcd is lost (2); on a terminal one progress line is redrawn in place, elsewhere each change
// is a new line.
import { Console, Duration, Effect, Option, Stdio, Stream, Terminal } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { EtcdClient } from "../../../store/EtcdClient.ts"
import { makeKeys } from "../../../store/Keys.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { StatusStore } from "../../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import type { RolloutState } from "../../render/RolloutProgress.ts"
import { fitToWidth, rolloutProgress } from "../../render/RolloutProgress.ts"
import { withStores } from "../../Stores.ts"
import { parseDuration } from "./parseDuration.ts"
import { notFound } from "./updateSpec.ts"
import { watchInstance } from "./watchInstance.ts"

type Outcome = RolloutState | { readonly _tag: "Deleted" } | { readonly _tag: "Corrupt"; readonly message: string }
type TimedOut = { readonly _tag: "TimedOut" }

/** How often --watch checks that etcd still answers. */
const probeInterval = Duration.seconds(2)

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
    const outcome = yield* withStores(
      Effect.gen(function*() {
        const found = yield* (yield* SpecStore).get(name)
        if (Option.isNone(found)) return yield* notFound(name)
        if (!watch && Option.isNone(timeout)) {
          const current = yield* (yield* StatusStore).get(name)
          const progress = rolloutProgress(found.value, Option.getOrUndefined(current))
          yield* display.show(progress.line)
          return progress.state as Outcome | TimedOut
        }
        const etcd = yield* EtcdClient
        const keys = makeKeys(etcd.prefix)
        const followed = watchInstance(etcd.prefix, name).pipe(
          Stream.mapEffect((snapshot) =>
            Effect.gen(function*() {
              if (Option.isSome(snapshot.corrupt)) return Option.some<Outcome>({ _tag: "Corrupt", message: snapshot.corrupt.value })
              if (Option.isNone(snapshot.instance)) return Option.some<Outcome>({ _tag: "Deleted" })
              const progress = rolloutProgress(snapshot.instance.value, Option.getOrUndefined(snapshot.status))
              yield* display.show(progress.line)
              return progress.state._tag === "Progressing" ? Option.none<Outcome>() : Option.some<Outcome>(progress.state)
            })
          ),
          Stream.filter(Option.isSome),
          Stream.map((outcome) => outcome.value),
          Stream.runHead
        )
        // The informers relist quietly for ever when etcd goes away; a read of the spec key every
        // few seconds notices, so a lost etcd ends the wait with one line and exit 2, not a hang.
        const probe = Effect.sleep(probeInterval).pipe(
          Effect.andThen(etcd.callIdempotent("rollout status probe", (client) => client.get(keys.spec(name)).exec())),
          Effect.forever,
          Effect.mapError((error) => exitWith(ExitCode.error, `error: lost etcd while watching serviceinstance/${name}: ${error.oneLine}`))
        )
        const watched = Effect.raceFirst(followed, probe)
        // The informers never end, so None means the time limit passed.
        const ended = Option.isSome(limit) ? Option.flatten(yield* Effect.timeoutOption(watched, limit.value)) : yield* watched
        return Option.getOrElse(ended, (): Outcome | TimedOut => ({ _tag: "TimedOut" }))
      }).pipe(Effect.ensuring(display.end))
    )
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
