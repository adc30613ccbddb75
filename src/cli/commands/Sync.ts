// `mdeploy sync NAME [--wait] [--timeout D] [--allow-mass-prune]` (design.md §12): asks the leader
// to sync a GitSource now, through <p>/gitsource-requests/<name> (any replica's leader sees it).
// --allow-mass-prune approves exactly the revision whose prune was refused, once: a later
// revision that prunes as much is refused again. Exit 0 synced, 1 failed or timed out, 4 unknown.
import { Clock, Console, DateTime, Duration, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { randomUUID } from "node:crypto"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { withStores } from "../Stores.ts"
import { parseDuration } from "./rollout/parseDuration.ts"

export const sync = Command.make(
  "sync",
  {
    name: Argument.String("name").pipe(Argument.withDescription("GitSource name")),
    wait: Flag.Boolean("wait").pipe(Flag.withDescription("wait until the leader has synced"), Flag.withDefault(false)),
    timeout: Flag.String("timeout").pipe(
      Flag.withDescription("with --wait: give up after this long (default 60s)"),
      Flag.filterMap(parseDuration, () => "a duration such as 30s or 5m"),
      Flag.optional
    ),
    allowMassPrune: Flag.Boolean("allow-mass-prune").pipe(
      Flag.withDescription("approve, once, the prune that was refused for the source's current revision"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("Cli.sync")(function*({ name, wait, timeout, allowMassPrune }) {
    const limit = Option.getOrElse(Option.flatten(timeout), () => Duration.seconds(60))
    const outcome = yield* withStores(Effect.gen(function*() {
      const store = yield* GitSourceStore
      const found = yield* store.get(name)
      if (Option.isNone(found)) return yield* exitWith(ExitCode.notFound, `error: gitsource "${name}" not found`)
      if (found.value.spec.suspend === true) {
        return yield* exitWith(ExitCode.invalid, `error: gitsource ${name} is suspended (spec.suspend)`)
      }
      const status = Option.getOrUndefined(yield* store.status(name))
      const approve = status?.pruneRefusedRevision
      if (allowMassPrune && approve === undefined) {
        return yield* exitWith(ExitCode.invalid, `error: gitsource ${name} has no refused prune to approve`)
      }
      const id = randomUUID()
      yield* store.request(name, {
        id,
        requestedAt: DateTime.formatIso(yield* DateTime.now),
        by: "cli",
        ...(allowMassPrune && approve !== undefined ? { approveMassPruneOf: approve } : {})
      })
      if (!wait) return { id, answered: undefined }
      const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(limit)
      for (;;) {
        const current = Option.getOrUndefined(yield* store.status(name))
        if (current?.handledRequest === id) return { id, answered: current }
        if ((yield* Clock.currentTimeMillis) > deadline) return { id, answered: null }
        yield* Effect.sleep("100 millis")
      }
    }))
    if (outcome.answered === undefined) return yield* Console.log(`gitsource/${name} sync requested`)
    if (outcome.answered === null) {
      return yield* exitWith(
        ExitCode.invalid,
        `error: gitsource ${name}: no sync within ${Duration.format(limit)} (is a controller running?)`
      )
    }
    const ready = outcome.answered.conditions.find((condition) => condition.type === "Ready")
    const revision = outcome.answered.lastAttemptedRevision?.slice(0, 12) ?? "<none>"
    if (ready?.status === "True") return yield* Console.log(`gitsource/${name} synced ${revision}: ${ready.message}`)
    return yield* exitWith(
      ExitCode.invalid,
      `error: gitsource ${name} ${ready?.reason ?? "failed"} at ${revision}: ${ready?.message ?? ""}`
    )
  })
).pipe(
  Command.withDescription("Sync a GitSource now (through the controller's leader)"),
  Command.withExamples([
    { command: "mdeploy sync prod-specs --wait", description: "Sync and wait for the result" },
    {
      command: "mdeploy sync prod-specs --allow-mass-prune --wait",
      description: "Approve the prune refused for the current revision, once"
    }
  ])
)
