// `mdeploy describe NAME`: spec, status, conditions, the instance's Marathon apps and tasks, and
// its revision history, its newest rollout's steps and its events of the last hour. Marathon being away costs a line, not the
// command.
import { Clock, Console, Effect, Option, Schedule } from "effect"
import { Argument, Command } from "effect/cli"
import type { InstanceName } from "../../domain/InstanceName.ts"
import { EventRecorder } from "../../events/EventRecorder.ts"
import { RolloutStore } from "../../rollouts/RolloutStore.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { StatusStore } from "../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { NotifierStore } from "../../store/NotifierStore.ts"
import { NotificationLedger } from "../../notify/NotificationLedger.ts"
import { describeView } from "../render/DescribeView.ts"
import { eventTable } from "../render/EventTable.ts"
import { stepsTable } from "../render/RolloutSteps.ts"
import { gitSourceDescription } from "../render/GitSourceView.ts"
import { notifierDescription } from "../render/NotifierView.ts"
import { marathonView } from "../render/MarathonView.ts"
import { marathonUrls } from "../GlobalFlags.ts"
import type { ShardSpec } from "../../marathon/ShardConfig.ts"
import { shardFlags, shardsFromFlags } from "../ShardFlags.ts"
import { root } from "../Root.ts"
import { withReadRecords } from "../ReadRecords.ts"

/** The instance's apps and tasks as one Marathon has them now; a line saying why when it cannot tell. */
const marathonSection = Effect.fnUntraced(function*(name: InstanceName, nowMillis: number, urls: ReadonlyArray<string>) {
  const { marathonLayer, marathonOptionsFromEnv } = yield* Effect.promise(() => import("../../Layers.ts"))
  const { observeInstance } = yield* Effect.promise(() => import("../../controller/PlanPreview.ts"))
  const options = {
    ...marathonOptionsFromEnv(urls, process.env["MDEPLOY_MESOS_URL"]),
    retrySchedule: Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 1 }))
  }
  return yield* observeInstance(name).pipe(
    Effect.map((observed) => marathonView(observed.apps, nowMillis)),
    Effect.timeoutOrElse({ duration: "5 seconds", orElse: () => Effect.succeed("<Marathon did not answer in time>") }),
    Effect.catch((error) => Effect.succeed(`<unavailable: ${(error as { message?: string }).message ?? String(error)}>`)),
    Effect.provide(marathonLayer(options))
  )
})

/**
 * One section for `--marathon`; with shards, one per shard, read side by side: an instance moving
 * between shards has apps on both, and the one it lives on is named.
 */
const marathonSections = Effect.fnUntraced(function*(
  name: InstanceName,
  nowMillis: number,
  shards: ReadonlyArray<ShardSpec>,
  livesOn: string | undefined
) {
  if (shards.length === 1 && shards[0]!.name === "default") {
    return [{ title: "Marathon", body: yield* marathonSection(name, nowMillis, shards[0]!.urls) }]
  }
  return yield* Effect.forEach(shards, (shard) =>
    Effect.map(marathonSection(name, nowMillis, shard.urls), (body) => ({
      title: `Marathon shard ${shard.name}${shard.retiring ? " (previous)" : ""}${shard.name === livesOn ? " (lives here)" : ""}`,
      body
    })), { concurrency: "unbounded" })
})

export const describe = Command.make(
  "describe",
  {
    name: Argument.String("name").pipe(Argument.withDescription("instance name, or `gitsource` or `notifier`")),
    sourceName: Argument.String("resource-name").pipe(
      Argument.withDescription("with `gitsource` or `notifier`: its name"),
      Argument.optional
    ),
    ...shardFlags
  },
  Effect.fn("Cli.describe")(function*({ name, sourceName, marathonShard, previousMarathonShard }) {
    if (Option.isSome(sourceName) && (name === "notifier" || name === "notifiers")) {
      const text = yield* withReadRecords(Effect.gen(function*() {
        const found = yield* (yield* NotifierStore).get(sourceName.value)
        if (Option.isNone(found)) return yield* exitWith(ExitCode.notFound, `error: notifier "${sourceName.value}" not found`)
        const deliveries = yield* (yield* NotificationLedger).list(sourceName.value)
        return notifierDescription(found.value, [...deliveries].sort((a, b) => b.record.at.localeCompare(a.record.at)).slice(0, 20))
      }))
      return yield* Console.log(text)
    }
    if (Option.isSome(sourceName)) {
      if (name !== "gitsource" && name !== "gitsources") {
        return yield* exitWith(ExitCode.error, `error: describe takes one instance name, "gitsource NAME" or "notifier NAME"`)
      }
      const text = yield* withReadRecords(Effect.gen(function*() {
        const store = yield* GitSourceStore
        const found = yield* store.get(sourceName.value)
        if (Option.isNone(found)) return yield* exitWith(ExitCode.notFound, `error: gitsource "${sourceName.value}" not found`)
        return gitSourceDescription(found.value, Option.getOrUndefined(yield* store.status(sourceName.value)))
      }))
      return yield* Console.log(text)
    }
    const shards = yield* shardsFromFlags({ marathonShard, previousMarathonShard }, marathonUrls(yield* root))
    const text = yield* withReadRecords(Effect.gen(function*() {
      const specs = yield* SpecStore
      const found = yield* specs.get(name as InstanceName)
      if (Option.isNone(found)) return yield* exitWith(ExitCode.notFound, `error: serviceinstance "${name}" not found`)
      const status = yield* (yield* StatusStore).get(name as InstanceName)
      const history = yield* specs.history(name as InstanceName)
      const nowMillis = yield* Clock.currentTimeMillis
      const told = yield* (yield* EventRecorder).list(name)
      const [newest] = yield* (yield* RolloutStore).list(name)
      return describeView({
        instance: found.value,
        status: Option.getOrUndefined(status),
        history,
        extra: [
          ...(yield* marathonSections(name as InstanceName, nowMillis, shards, Option.getOrUndefined(status)?.shard)),
          { title: "Rollout", body: newest === undefined ? "<none recorded>" : stepsTable(newest, nowMillis) },
          { title: "Events", body: told.length === 0 ? "<none in the last hour>" : eventTable(told, nowMillis) }
        ],
        nowMillis
      })
    }))
    yield* Console.log(text)
  })
).pipe(
  Command.withDescription("Show one ServiceInstance in detail: spec, status, conditions, history"),
  Command.withExamples([
    { command: "mdeploy describe web.main", description: "Everything about web.main" },
    { command: "mdeploy describe gitsource prod-specs", description: "A GitSource: revisions, conditions, sync history" },
    {
      command: "mdeploy describe notifier payments-slack",
      description: "A Notifier: endpoint (never its secret), events, recent deliveries"
    }
  ])
)
