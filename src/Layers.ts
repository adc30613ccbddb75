// Composition root: the live layers, wired once. The only place (with bin.ts) that picks concrete
// implementations: undici for HTTP, etcd for specs/status/drain records, and a token bucket in
// front of every Marathon write so a mass rollout cannot flood Marathon.
import { NodeHttpClient } from "@effect/platform-node"
import { hostname } from "node:os"
import { Context, Effect, Layer, Redacted } from "effect"
import { HttpClient } from "effect/http"
import * as TokenBucket from "./controller/TokenBucket.ts"
import { Executor } from "./controller/Executor.ts"
import { Owner } from "./controller/Owner.ts"
import { defaultOwnerId, ownerPattern } from "./domain/Ownership.ts"
import { MarathonFields } from "./controller/MarathonFields.ts"
import type { MarathonFieldPolicy } from "./domain/MarathonFieldPolicy.ts"
import { defaultMarathonFieldPolicy } from "./domain/MarathonFieldPolicy.ts"
import { DrainMethods } from "./drain/DrainMethods.ts"
import { MarathonClient } from "./marathon/MarathonClient.ts"
import type { MarathonClientConfig } from "./marathon/MarathonClient.ts"
import type { Shard } from "./marathon/MarathonShards.ts"
import { MarathonShards } from "./marathon/MarathonShards.ts"
import type { ShardSpec } from "./marathon/ShardConfig.ts"
import { defaultShard } from "./domain/ShardPlacement.ts"
import { MesosMaintenance } from "./marathon/MesosMaintenance.ts"
import type { EtcdOptions } from "./store/EtcdClient.ts"
import { EtcdClient } from "./store/EtcdClient.ts"
import { MemberPulse } from "./store/MemberPulse.ts"
import { etcdClusterId } from "./store/ClusterIdentity.ts"
import { etcdCleanupLedgerLayer } from "./store/EtcdCleanupLedger.ts"
import { etcdDrainRecordsLayer } from "./store/EtcdDrainRecords.ts"
import { etcdEventRecorderLayer } from "./store/EtcdEventRecorder.ts"
import { etcdNotificationLedgerLayer } from "./store/EtcdNotificationLedger.ts"
import { etcdRolloutStoreLayer } from "./store/EtcdRolloutStore.ts"
import { Leadership } from "./store/Leadership.ts"
import { Locks } from "./store/Locks.ts"
import { GitSourceStore } from "./store/GitSourceStore.ts"
import { StatusStore } from "./store/StatusStore.ts"
import { etcdSpecStoreLayer } from "./store/EtcdSpecStore.ts"

export interface MarathonOptions {
  /** The default shard's URLs, used when `shards` is absent. */
  readonly urls: ReadonlyArray<string>
  /** Marathon shards (ShardConfig.ts); absent: one shard, "default", on `urls`. */
  readonly shards?: ReadonlyArray<ShardSpec> | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** Mesos master for maintenance (at-risk hosts); none = no host is ever draining. */
  readonly mesosUrl?: string | undefined
  /** Limit on Marathon writes (create, scale, delete, kill), per shard: each Marathon has its own. */
  readonly writeQps?: number
  readonly writeBurst?: number
  /** Replaces the client's retry policy (short-lived commands retry less). */
  readonly retrySchedule?: MarathonClientConfig["retrySchedule"]
}

/** MarathonClient whose write calls each take a token first; reads are never limited. */
const rateLimitedMarathon = (options: MarathonOptions) =>
  Layer.effect(
    MarathonClient,
    Effect.gen(function*() {
      const base = yield* MarathonClient
      const bucket = yield* TokenBucket.make({ qps: options.writeQps, burst: options.writeBurst })
      return MarathonClient.of({
        ...base,
        createApp: (definition) => Effect.andThen(bucket.take, base.createApp(definition)),
        scaleApp: (appId, instances) => Effect.andThen(bucket.take, base.scaleApp(appId, instances)),
        deleteApp: (appId) => Effect.andThen(bucket.take, base.deleteApp(appId)),
        killTasks: (taskIds) => Effect.andThen(bucket.take, base.killTasks(taskIds))
      })
    })
  )

/**
 * One rate-limited client per shard (its own URLs, fail-over and token bucket: a flood of writes to
 * one Marathon never slows another), MarathonShards over them, and MarathonClient as the first
 * current shard's client for what speaks to one Marathon (describe, diff).
 */
const shardsLayer = (options: MarathonOptions) =>
  Layer.effectContext(Effect.gen(function*() {
    const specs = options.shards ?? [{ name: defaultShard, urls: options.urls, retiring: false }]
    const shards: Array<Shard> = []
    for (const spec of specs) {
      const built = yield* Layer.build(
        rateLimitedMarathon(options).pipe(
          Layer.provide(MarathonClient.layerNoDeps({
            urls: spec.urls,
            username: options.username,
            password: options.password === undefined ? undefined : Redacted.make(options.password),
            ...(options.retrySchedule === undefined ? {} : { retrySchedule: options.retrySchedule })
          }))
        )
      )
      shards.push({ name: spec.name, retiring: spec.retiring, client: Context.get(built, MarathonClient) })
    }
    const first = shards.find((shard) => !shard.retiring) ?? shards[0]!
    return Context.make(MarathonShards, MarathonShards.make(shards)).pipe(Context.add(MarathonClient, first.client))
  }))

/** HttpClient, MarathonShards and MarathonClient (rate-limited), MesosMaintenance and DrainMethods. */
export const marathonLayer = (options: MarathonOptions) => {
  // undici's client without `layerUndici`'s merge of the layer's context into every response: the
  // merge copies the caller's whole context, measured at about 12 KB per Marathon call in a
  // controller's mass rollout, and reading an answer needs no service of its own.
  const http = Layer.effect(HttpClient.HttpClient, NodeHttpClient.makeUndici).pipe(Layer.provide(NodeHttpClient.layerDispatcher))
  const client = shardsLayer(options)
  const maintenance = options.mesosUrl === undefined
    ? MesosMaintenance.layerNone
    : MesosMaintenance.layerNoDeps({ url: options.mesosUrl })
  return Layer.mergeAll(client, maintenance, DrainMethods.layer).pipe(Layer.provideMerge(http))
}

export interface OwnerOptions {
  /** --owner / MDEPLOY_OWNER; absent: derived from the etcd cluster id and the prefix. */
  readonly owner?: string | undefined
  readonly adoptUnowned?: boolean
}

export class InvalidOwner extends Error {
  readonly _tag = "InvalidOwner"
}

/** This installation's owner (design.md §11): as given, or the stable id of etcd cluster + prefix. */
export const ownerLayer = (options: OwnerOptions) =>
  Layer.effect(
    Owner,
    Effect.gen(function*() {
      const etcd = yield* EtcdClient
      const given = options.owner?.trim()
      if (given !== undefined && given !== "" && !ownerPattern.test(given)) {
        return yield* Effect.die(new InvalidOwner(`--owner ${JSON.stringify(given)}: must match ${ownerPattern.source}`))
      }
      const owner = given !== undefined && given !== "" ? given : defaultOwnerId(yield* etcdClusterId, etcd.prefix)
      return Owner.of({ owner, adoptUnowned: options.adoptUnowned === true })
    })
  )

/**
 * Everything a reconcile needs: etcd stores, drain records and the cleanup ledger, Marathon, drain
 * methods, executor, this installation's owner, and the Marathon field policy instances are
 * checked against (built-in denials unless given).
 */
export const reconcileLayer = (
  etcd: EtcdOptions,
  marathon: MarathonOptions,
  owner: OwnerOptions = {},
  fieldPolicy: MarathonFieldPolicy = defaultMarathonFieldPolicy
) => {
  const stores = Layer.mergeAll(
    etcdSpecStoreLayer,
    StatusStore.layerNoDeps,
    GitSourceStore.layerNoDeps,
    Locks.layerEtcd,
    Leadership.layerEtcd,
    etcdEventRecorderLayer,
    etcdNotificationLedgerLayer,
    etcdRolloutStoreLayer,
    etcdDrainRecordsLayer,
    etcdCleanupLedgerLayer,
    MemberPulse.layer,
    ownerLayer(owner)
  ).pipe(
    Layer.provideMerge(EtcdClient.layer(etcd))
  )
  const outside = Layer.merge(marathonLayer(marathon), MarathonFields.layer(fieldPolicy))
  return Executor.layer.pipe(Layer.provideMerge(Layer.merge(stores, outside)))
}

/** Who this process is, in lock and leader keys: host/pid. */
export const processIdentity = (role: string): string => `${role}@${hostname()}/${process.pid}`

/** Marathon options from the global flag and MDEPLOY_MARATHON_USER / MDEPLOY_MARATHON_PASSWORD. */
export const marathonOptionsFromEnv = (urls: ReadonlyArray<string>, mesosUrl: string | undefined): MarathonOptions => ({
  urls,
  username: process.env["MDEPLOY_MARATHON_USER"],
  password: process.env["MDEPLOY_MARATHON_PASSWORD"],
  mesosUrl
})
