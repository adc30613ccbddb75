// The controller's view of one Marathon shard: its own full list (`GET /v2/apps?embed=apps.tasks`)
// shared by every instance, its own single-instance reads, its own plausibility memory (a shrunken
// list is believed only once it came back the same several times in a row), and its own health.
// A shard that failed is left alone for a moment (`downRetryMs`): instances that do not need it
// go on without waiting out its retries, and it is asked again afterwards. Marathon's answer is
// never replaced by "no apps": a failure is reported as such (design.md §11).
import { Clock, Duration, Effect, Schema, Semaphore } from "effect"
import { appIdPrefix, belongsTo, instanceNameOf } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { Ownership } from "../domain/Ownership.ts"
import { owns } from "../domain/Ownership.ts"
import { defaultShard } from "../domain/ShardPlacement.ts"
import type { MarathonClient } from "../marathon/MarathonClient.ts"
import type { MarathonError } from "../marathon/MarathonError.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import { recordUntrustedAnswer } from "../telemetry/ControllerMetrics.ts"
import { appsAnswerProblem, listShrinkProblem, shrinkConfirmations } from "./Plausibility.ts"
import { UntrustedAnswer } from "./UntrustedAnswer.ts"

/** One instance's apps on one shard, and when the read they come from started (ms, the Effect clock). */
export interface InstanceRead {
  readonly apps: ReadonlyArray<ObservedApp>
  readonly readAt: number
}

/** One shard's last full list, indexed. */
export interface ShardList {
  readonly shard: string
  /** Every app listed, tagged with the shard (the default shard's apps carry no tag). */
  readonly apps: ReadonlyArray<ObservedApp>
  /** When the fetch that produced it started (ms): it reflects everything before this. */
  readonly startedAt: number
  /** This installation's apps by instance name (other owners' and unmanaged apps are left out). */
  readonly byInstance: ReadonlyMap<string, ReadonlyArray<ObservedApp>>
  /** Instance names of the apps each in-flight deployment touches. */
  readonly deployments: ReadonlyMap<string, ReadonlyArray<string>>
}

/** A shard that could not be read just now (its last error), so its apps are unknown. */
export class ShardDown extends Schema.TaggedError<ShardDown>()("ShardDown", {
  shard: Schema.String,
  message: Schema.String
}) {}

/** An instance waits: a shard it may have apps on (or lives on) cannot be read. */
export class ShardUnavailable extends Schema.TaggedError<ShardUnavailable>()("ShardUnavailable", {
  shard: Schema.String,
  message: Schema.String
}) {}

export type ShardReadError = MarathonError | UntrustedAnswer | ShardDown

/** After a failure, a shard is left alone this long before it is asked again. */
export const defaultDownRetryMs = 5_000

const tag = (apps: ReadonlyArray<ObservedApp>, shard: string): ReadonlyArray<ObservedApp> =>
  shard === defaultShard ? apps : apps.map((app) => ({ ...app, shard }))

export const indexShardList = (shard: string, apps: ReadonlyArray<ObservedApp>, startedAt: number, ownership: Ownership): ShardList => {
  const byInstance = new Map<string, Array<ObservedApp>>()
  const deployments = new Map<string, Array<string>>()
  for (const app of apps) {
    const name = instanceNameOf(app.id)
    if (name === undefined || !owns(ownership, app.labels)) continue
    const list = byInstance.get(name) ?? []
    list.push(app)
    byInstance.set(name, list)
    for (const deployment of app.deployments) {
      const names = deployments.get(deployment) ?? []
      if (!names.includes(name)) names.push(name)
      deployments.set(deployment, names)
    }
  }
  return { shard, apps, startedAt, byInstance, deployments }
}

const messageOf = (error: MarathonError | UntrustedAnswer) => error.message
const noApps: ReadonlyArray<ObservedApp> = []

export const makeShardSnapshot = (options: {
  readonly shard: string
  readonly client: MarathonClient["Service"]
  readonly ownership: Ownership
  readonly minIntervalMs: number
  readonly downRetryMs?: number
}) =>
  Effect.gen(function*() {
    const { shard, client, ownership, minIntervalMs } = options
    const downRetryMs = options.downRetryMs ?? defaultDownRetryMs
    const lock = yield* Semaphore.make(1)
    let current: ShardList | undefined
    let fetches = 0
    let targetedFetches = 0
    // Set by a failed read: until when the shard rests, and when it failed. Cleared by a good read.
    let down: { readonly at: number; readonly until: number; readonly message: string } | undefined
    // A shrunken list is believed once the same count came back this many times in a row.
    let shrunk = { owned: -1, times: 0 }
    // Per instance: whether its last read here (full list or its own) showed apps of it.
    const seen = new Map<string, boolean>()

    const untrusted = (problem: { readonly reason: string; readonly message: string }) =>
      recordUntrustedAnswer(problem.reason).pipe(
        Effect.andThen(
          Effect.logWarning("Marathon answer not trusted; retrying").pipe(
            Effect.annotateLogs({ shard, reason: problem.reason, detail: problem.message })
          )
        ),
        Effect.andThen(Effect.fail(new UntrustedAnswer({ reason: problem.reason, message: problem.message })))
      )

    /** Refuses at once while the shard is resting after a failure; else runs `read`, noting a failure. */
    const guarded = <A>(read: Effect.Effect<A, MarathonError | UntrustedAnswer>): Effect.Effect<A, ShardReadError> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (down !== undefined && now < down.until) return yield* new ShardDown({ shard, message: down.message })
        return yield* read.pipe(
          Effect.tap(() => Effect.sync(() => (down = undefined))),
          Effect.tapError((error) =>
            Effect.gen(function*() {
              // An untrusted answer is the shard's problem too, but it is not a reason to rest it.
              if (error._tag === "MarathonError") {
                const at = yield* Clock.currentTimeMillis
                down = { at, until: at + downRetryMs, message: messageOf(error) }
              }
            })
          )
        )
      })

    const refresh = Effect.fnUntraced(function*(notBefore: number) {
      // Someone else's fetch, finished while we waited for the lock, may already be fresh enough.
      if (current !== undefined && current.startedAt >= notBefore) return current
      const now = yield* Clock.currentTimeMillis
      if (current !== undefined && now - current.startedAt < minIntervalMs) {
        yield* Effect.sleep(Duration.millis(minIntervalMs - (now - current.startedAt)))
      }
      const startedAt = yield* Clock.currentTimeMillis
      const apps = yield* client.listApps
      fetches++
      const next = indexShardList(shard, tag(apps, shard), startedAt, ownership)
      const ownedApps = (list: ShardList) => {
        let count = 0
        for (const owned of list.byInstance.values()) count += owned.length
        return count
      }
      const problem = appsAnswerProblem([...next.byInstance.values()].flat())
      if (problem !== undefined) return yield* untrusted(problem)
      const shrink = current === undefined ? undefined : listShrinkProblem(ownedApps(current), ownedApps(next))
      if (shrink !== undefined) {
        shrunk = shrunk.owned === ownedApps(next) ? { owned: shrunk.owned, times: shrunk.times + 1 } : { owned: ownedApps(next), times: 1 }
        if (shrunk.times < shrinkConfirmations) return yield* untrusted(shrink)
      }
      shrunk = { owned: -1, times: 0 }
      seen.clear()
      current = next
      return current
    })

    // Only a shard that rests after failures (several shards) waits for a good read before its
    // old list is served again; a lone shard is asked as it always was.
    const awaitingGoodRead = () => down !== undefined && downRetryMs > 0

    /**
     * A full list whose fetch started at or after `notBefore`. After a failed read, the list from
     * before it is not served again: the shard has to answer first.
     */
    const get = (notBefore: number): Effect.Effect<ShardList, ShardReadError> => {
      const after = !awaitingGoodRead() ? notBefore : Math.max(notBefore, down!.at + 1)
      return current !== undefined && current.startedAt >= after
        ? Effect.succeed(current)
        : guarded(lock.withPermits(1)(refresh(after)))
    }

    /**
     * One instance's apps on this shard as of `notBefore` or later (0: any list, fetched if there is
     * none), and when the read they come from started.
     */
    const forInstance = (name: string, notBefore: number): Effect.Effect<InstanceRead, ShardReadError> => {
      if (awaitingGoodRead() || notBefore === 0 || (current !== undefined && current.startedAt >= notBefore)) {
        return Effect.map(get(0), (list) => ({ apps: list.byInstance.get(name) ?? [], readAt: list.startedAt }))
      }
      return guarded(Effect.gen(function*() {
        const readAt = yield* Clock.currentTimeMillis
        const apps = yield* client.listAppsById(appIdPrefix(name as InstanceName))
        targetedFetches++
        // Marathon's id filter matches anywhere in the id: keep only this instance's own apps.
        const own = tag(apps.filter((app) => belongsTo(app.id, name as InstanceName)), shard)
        const problem = appsAnswerProblem(own)
        if (problem !== undefined) return yield* untrusted(problem)
        seen.set(name, own.some((app) => owns(ownership, app.labels)))
        return { apps: own, readAt }
      }))
    }

    /**
     * What `forInstance` would answer from memory, without a fiber: the current list when it is
     * fresh enough and the shard is not waiting for a good read; else undefined (ask `forInstance`).
     */
    const forInstanceNow = (name: string, notBefore: number): InstanceRead | undefined =>
      current === undefined || awaitingGoodRead() || current.startedAt < notBefore
        ? undefined
        : { apps: current.byInstance.get(name) ?? noApps, readAt: current.startedAt }

    /**
     * Whether the instance may have apps here, as far as anything read before says: its own last
     * read, else the last full list; never read at all: it may.
     */
    const mayHaveApps = (name: string): boolean => seen.get(name) ?? (current === undefined ? true : current.byInstance.has(name))

    return {
      shard,
      get,
      forInstance,
      forInstanceNow,
      mayHaveApps,
      latest: Effect.sync(() => current),
      fetches: Effect.sync(() => fetches),
      targetedFetches: Effect.sync(() => targetedFetches)
    }
  })

export type ShardSnapshot = Effect.Success<ReturnType<typeof makeShardSnapshot>>
