// `--marathon-shard NAME=URL[,URL]` and `--previous-marathon-shard NAME=URL[,URL]` (repeatable;
// env MDEPLOY_MARATHON_SHARDS / MDEPLOY_PREVIOUS_MARATHON_SHARDS, `;` between shards): the Marathon
// shards of the commands that reconcile (controller, reconcile). Parsing is ShardConfig.ts.
import { Effect } from "effect"
import { Flag } from "effect/cli"
import type { ShardSpec } from "../marathon/ShardConfig.ts"
import { parseShards } from "../marathon/ShardConfig.ts"
import { CliExit, ExitCode } from "./CliExit.ts"

export const shardFlags = {
  marathonShard: Flag.String("marathon-shard").pipe(
    Flag.withDescription(
      "a Marathon shard new apps may be placed on, NAME=URL[,URL]; repeatable (env MDEPLOY_MARATHON_SHARDS, " +
        "'a=URL,URL;b=URL'). Given, it replaces --marathon, which otherwise is the one shard named default"
    ),
    Flag.atLeast(0)
  ),
  previousMarathonShard: Flag.String("previous-marathon-shard").pipe(
    Flag.withDescription(
      "a Marathon shard being retired, NAME=URL[,URL]: its apps are still observed and bounced away, nothing new " +
        "is placed there; repeatable (env MDEPLOY_PREVIOUS_MARATHON_SHARDS)"
    ),
    Flag.atLeast(0)
  )
}

/** The shards the flags (or the environment) name; exit 1 with one line per problem. */
export const shardsFromFlags = (
  flags: { readonly marathonShard: ReadonlyArray<string>; readonly previousMarathonShard: ReadonlyArray<string> },
  marathonUrls: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<ShardSpec>, CliExit> => {
  const parsed = parseShards({
    marathonUrls,
    current: flags.marathonShard,
    previous: flags.previousMarathonShard,
    env: process.env
  })
  return parsed._tag === "Shards"
    ? Effect.succeed(parsed.shards)
    : Effect.fail(new CliExit({ code: ExitCode.error, lines: parsed.problems.map((problem) => `error: ${problem}`) }))
}
