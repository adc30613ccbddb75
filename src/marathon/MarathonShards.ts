// The Marathon shards a controller talks to, each with its own client (its own URLs, retries and
// write limit): current shards take new apps, previous ones are only observed and emptied
// (ShardConfig.ts). An installation without shards has one, "default", over the MarathonClient it
// always had, so everything that speaks to "the" Marathon keeps doing so.
import { Context, Effect, Layer } from "effect"
import { defaultShard } from "../domain/ShardPlacement.ts"
import { MarathonClient } from "./MarathonClient.ts"

export interface Shard {
  readonly name: string
  /** A previous shard: its apps are observed and bounced away; nothing is placed there. */
  readonly retiring: boolean
  readonly client: MarathonClient["Service"]
}

export class MarathonShards extends Context.Service<MarathonShards, {
  /** Every shard, current ones first, in the order they were given. */
  readonly shards: ReadonlyArray<Shard>
  /** The names of the shards new apps may be placed on. */
  readonly current: ReadonlyArray<string>
  /** The client of a shard; undefined for a name that is not configured. */
  readonly client: (name: string | undefined) => MarathonClient["Service"] | undefined
}>()("mdeploy/marathon/MarathonShards") {
  static readonly make = (shards: ReadonlyArray<Shard>): MarathonShards["Service"] => {
    const byName = new Map(shards.map((shard) => [shard.name, shard.client]))
    return MarathonShards.of({
      shards,
      current: shards.filter((shard) => !shard.retiring).map((shard) => shard.name),
      // Apps and actions without a shard are the default shard's (plan/Observed.ts).
      client: (name) => byName.get(name ?? defaultShard)
    })
  }

  /** One shard, "default", over the MarathonClient in context (an installation without shards, and tests). */
  static readonly layerSingle: Layer.Layer<MarathonShards, never, MarathonClient> = Layer.effect(
    MarathonShards,
    Effect.gen(function*() {
      const client = yield* MarathonClient
      return MarathonShards.make([{ name: defaultShard, retiring: false, client }])
    })
  )

  /** Given shards (tests: several MarathonMemory clients; the composition root: one real client each). */
  static readonly layer = (shards: ReadonlyArray<Shard>): Layer.Layer<MarathonShards> =>
    Layer.succeed(MarathonShards, MarathonShards.make(shards))
}
