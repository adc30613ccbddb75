// How many instances this installation manages right now, for the deletion budget (design.md
// §11): those running apps of ours in a full Marathon list of every shard, taken for the decision.
// The lists are not held to the plausibility checks that guard actions: an answer missing apps only
// lowers the count, and a lower count only refuses more. A shard whose list cannot be had counts
// none (refuse, and come back later); the budget is one per owner across all shards.
import { Effect } from "effect"
import { instanceNameOf } from "../domain/AppIdentity.ts"
import { owns } from "../domain/Ownership.ts"
import { MarathonShards } from "../marathon/MarathonShards.ts"
import { Owner } from "./Owner.ts"

/** Resolves the shards and owner once; the effect it returns lists afresh each time. */
export const makeManagedCount = Effect.gen(function*() {
  const { shards } = yield* MarathonShards
  const ownership = yield* Owner
  return Effect.gen(function*() {
    const lists = yield* Effect.forEach(shards, (shard) =>
      shard.client.listApps.pipe(
        Effect.tapError((error) =>
          Effect.logWarning("cannot count managed instances; tear-downs wait").pipe(
            Effect.annotateLogs({ shard: shard.name, error: error.message })
          )
        ),
        Effect.orElseSucceed(() => [])
      ), { concurrency: "unbounded" })
    const names = new Set<string>()
    for (const app of lists.flat()) {
      const name = instanceNameOf(app.id)
      if (name !== undefined && owns(ownership, app.labels)) names.add(name)
    }
    return names as ReadonlySet<string>
  })
})
