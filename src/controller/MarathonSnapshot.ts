// The controller's view of Marathon (the seed's cached master state), over every shard it talks to
// (ShardSnapshot.ts: one full list, plausibility memory and health per shard). Resync work —
// thousands of keys at once — is served from the shards' shared `GET /v2/apps?embed=apps.tasks`
// lists; concurrent askers wait for one fetch per shard, spaced at least `minIntervalMs` apart.
// Work that needs state newer than that (an event's, or a pass after this controller's own writes
// to the instance) fetches just its own instance's apps (`?id=<prefix>`) from each shard. Either
// view may be slightly stale by design: every write is checked again by Marathon and by the next
// reconcile, and anything beyond a create is planned again on a read made under the lock.
//
// A shard that cannot be read is never taken for a shard without apps (design.md §11): a view
// names it, with whether the instance may have apps there, and the observer decides whether the
// instance can go on without it (InstanceObserver.ts). Other shards' instances are not held up.
import { Clock, Effect, Result } from "effect"
import type { MarathonError } from "../marathon/MarathonError.ts"
import { MarathonShards } from "../marathon/MarathonShards.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import { Owner } from "./Owner.ts"
import type { ShardList, ShardReadError } from "./ShardSnapshot.ts"
import { makeShardSnapshot } from "./ShardSnapshot.ts"
import type { UntrustedAnswer } from "./UntrustedAnswer.ts"

export interface Snapshot {
  /** Every app of every shard that could be listed, tagged with its shard. */
  readonly apps: ReadonlyArray<ObservedApp>
  /** The oldest of the shard lists it is made of (ms): it reflects everything before this. */
  readonly startedAt: number
  /** This installation's apps by instance name, all shards (other owners' and unmanaged apps are left out). */
  readonly byInstance: ReadonlyMap<string, ReadonlyArray<ObservedApp>>
  /** Instance names of the apps each in-flight deployment touches. */
  readonly deployments: ReadonlyMap<string, ReadonlyArray<string>>
  /** Agents Mesos maintenance is draining, read with the same fetch. */
  readonly drainingHosts: ReadonlySet<string>
  /** Shards with no list (never listed, or failing now): why. Their apps are unknown, not absent. */
  readonly unavailable: ReadonlyMap<string, string>
}

/** A shard a view could not read, and whether the instance may have apps there. */
export interface UnavailableShard {
  readonly shard: string
  readonly error: ShardReadError
  readonly mayHaveApps: boolean
}

/** What one reconcile sees of Marathon. */
export interface InstanceView {
  /** The instance's apps (managed ones; also unmanaged ones under its prefix when fetched alone). */
  readonly apps: ReadonlyArray<ObservedApp>
  readonly drainingHosts: ReadonlySet<string>
  /** Shards that could not be read for this view. */
  readonly unavailable: ReadonlyArray<UnavailableShard>
  /** When the oldest read this view is made of started (ms, the Effect clock). */
  readonly readAt: number
}

export interface MarathonSnapshot {
  /**
   * A snapshot whose shard lists were fetched at or after `notBefore` (ms, the Effect clock); a
   * shard that fails is left out and named. Fails only when no shard could be listed.
   */
  readonly get: (notBefore: number) => Effect.Effect<Snapshot, MarathonError | UntrustedAnswer | ShardReadError>
  /**
   * One instance's apps as of `notBefore` or later, from every shard: from the shared lists when
   * fresh enough, else fetched alone. `notBefore` 0 takes any list (fetching one if there is none).
   */
  readonly forInstance: (name: string, notBefore: number) => Effect.Effect<InstanceView, MarathonError>
  /**
   * What `forInstance` would answer without asking anyone (every shard's list fresh enough and
   * readable, Mesos maintenance known), without a fiber; else undefined.
   */
  readonly forInstanceNow: (name: string, notBefore: number) => InstanceView | undefined
  /**
   * This controller's writes for `name` were answered (or failed) at `at`: no view of the instance
   * from before then is served again (read-your-writes), whatever `notBefore` a pass asks for.
   */
  readonly written: (name: string, at: number) => void
  /** The last lists taken, if any, without fetching. */
  readonly latest: Effect.Effect<Snapshot | undefined>
  /** Full list calls made so far (for the steady-state benchmark). */
  readonly fetches: Effect.Effect<number>
  /** Single-instance list calls made so far. */
  readonly targetedFetches: Effect.Effect<number>
}

/** Maintenance answers older than this are asked again on a single-instance fetch. */
const maintenanceMaxAgeMs = 10_000

const combine = (
  lists: ReadonlyArray<ShardList>,
  unavailable: ReadonlyMap<string, string>,
  drainingHosts: ReadonlySet<string>
): Snapshot => {
  if (lists.length === 1 && unavailable.size === 0) {
    const [only] = lists
    return { ...only!, drainingHosts, unavailable }
  }
  const byInstance = new Map<string, Array<ObservedApp>>()
  const deployments = new Map<string, Array<string>>()
  for (const list of lists) {
    for (const [name, apps] of list.byInstance) byInstance.set(name, [...(byInstance.get(name) ?? []), ...apps])
    for (const [id, names] of list.deployments) deployments.set(id, [...(deployments.get(id) ?? []), ...names])
  }
  return {
    apps: lists.flatMap((list) => list.apps),
    startedAt: Math.min(...lists.map((list) => list.startedAt)),
    byInstance,
    deployments,
    drainingHosts,
    unavailable
  }
}

export const makeMarathonSnapshot = (options: { readonly minIntervalMs?: number; readonly downRetryMs?: number } = {}) =>
  Effect.gen(function*() {
    const { shards } = yield* MarathonShards
    const clock = yield* Clock.Clock
    const maintenance = yield* MesosMaintenance
    const ownership = yield* Owner
    const minIntervalMs = options.minIntervalMs ?? 100
    // Resting a failed shard spares the other shards' instances its retries; with one shard there
    // is no one to spare, and every pass asks Marathon again as it always did.
    const downRetryMs = shards.length === 1 ? 0 : options.downRetryMs
    const parts = yield* Effect.forEach(shards, (shard) =>
      makeShardSnapshot({
        shard: shard.name,
        client: shard.client,
        ownership,
        minIntervalMs,
        ...(downRetryMs === undefined ? {} : { downRetryMs })
      }))
    let maintenanceAt = 0
    let drainingHosts: ReadonlySet<string> = new Set()
    // Per instance, when this controller's last writes for it were answered (ms); dropped once every
    // shard has been listed since. Marathon's own changes and other writers' come as events, whose
    // passes ask for state newer than the event (Controller.ts).
    const writtenAt = new Map<string, number>()
    const viewAfter = (name: string, notBefore: number) => {
      const written = writtenAt.get(name)
      return written === undefined || written <= notBefore ? notBefore : written
    }
    const forgetWritesBefore = (startedAt: number) => {
      for (const [name, at] of writtenAt) if (at < startedAt) writtenAt.delete(name)
    }
    // The last combined snapshot, rebuilt when any shard's list changed.
    let combined: { readonly from: ReadonlyArray<ShardList | undefined>; readonly snapshot: Snapshot } | undefined

    const latest = Effect.gen(function*() {
      const from = yield* Effect.forEach(parts, (part) => part.latest)
      if (combined !== undefined && from.every((list, i) => list === combined!.from[i])) return combined.snapshot
      const lists = from.filter((list): list is ShardList => list !== undefined)
      if (lists.length === 0) return undefined
      const unavailable = new Map(parts.filter((_, i) => from[i] === undefined).map((part) => [part.shard, "not listed yet"]))
      combined = { from, snapshot: combine(lists, unavailable, drainingHosts) }
      return combined.snapshot
    })

    const get = Effect.fn("MarathonSnapshot.get")(function*(notBefore: number) {
      // Every shard's list is fresh enough already: nothing to ask, Mesos included.
      const known = yield* latest
      if (known !== undefined && known.unavailable.size === 0 && known.startedAt >= notBefore) return known
      const startedAt = yield* Clock.currentTimeMillis
      const [hosts, results] = yield* Effect.all([
        maintenance.drainingHosts,
        Effect.forEach(parts, (part) => Effect.result(part.get(notBefore)), { concurrency: "unbounded" })
      ], { concurrency: 2 })
      drainingHosts = hosts
      maintenanceAt = startedAt
      const lists: Array<ShardList> = []
      const unavailable = new Map<string, string>()
      let firstError: ShardReadError | undefined
      results.forEach((result, i) => {
        if (Result.isSuccess(result)) lists.push(result.success)
        else {
          firstError ??= result.failure
          unavailable.set(parts[i]!.shard, result.failure.message)
        }
      })
      // One shard down is no reason to stop the others; all of them down is Marathon down.
      if (lists.length === 0 && firstError !== undefined) return yield* Effect.fail(firstError)
      const snapshot = combine(lists, unavailable, hosts)
      if (unavailable.size === 0) {
        combined = { from: lists, snapshot }
        forgetWritesBefore(snapshot.startedAt)
      }
      return snapshot
    })

    const forInstanceUntraced = Effect.fnUntraced(function*(name: string, asked: number) {
      const notBefore = viewAfter(name, asked)
      const now = yield* Clock.currentTimeMillis
      const askMesos = maintenanceAt === 0 || (notBefore !== 0 && now - maintenanceAt > maintenanceMaxAgeMs)
      // Fibers only where there is waiting to overlap: an idle pass of a resync reads one shard's
      // list from memory, and forking for it was a visible part of every such pass.
      const [hosts, results] = yield* Effect.all([
        askMesos
          ? Effect.tap(maintenance.drainingHosts, (fresh) =>
            Effect.sync(() => {
              drainingHosts = fresh
              maintenanceAt = now
            }))
          : Effect.sync(() => drainingHosts),
        Effect.forEach(parts, (part) => Effect.result(part.forInstance(name, notBefore)), {
          concurrency: parts.length > 1 ? "unbounded" : 1
        })
      ], { concurrency: askMesos ? 2 : 1 })
      const apps: Array<ObservedApp> = []
      const unavailable: Array<UnavailableShard> = []
      let readAt = Number.POSITIVE_INFINITY
      results.forEach((result, i) => {
        const part = parts[i]!
        if (Result.isSuccess(result)) {
          apps.push(...result.success.apps)
          readAt = Math.min(readAt, result.success.readAt)
        } else unavailable.push({ shard: part.shard, error: result.failure, mayHaveApps: part.mayHaveApps(name) })
      })
      return { apps, drainingHosts: hosts, unavailable, readAt } satisfies InstanceView
    })
    const forInstanceNow = (name: string, asked: number): InstanceView | undefined => {
      const notBefore = viewAfter(name, asked)
      if (maintenanceAt === 0 || (notBefore !== 0 && clock.currentTimeMillisUnsafe() - maintenanceAt > maintenanceMaxAgeMs)) {
        return undefined
      }
      if (parts.length === 1) {
        const read = parts[0]!.forInstanceNow(name, notBefore)
        return read === undefined ? undefined : { apps: read.apps, drainingHosts, unavailable: [], readAt: read.readAt }
      }
      const apps: Array<ObservedApp> = []
      let readAt = Number.POSITIVE_INFINITY
      for (const part of parts) {
        const read = part.forInstanceNow(name, notBefore)
        if (read === undefined) return undefined
        apps.push(...read.apps)
        readAt = Math.min(readAt, read.readAt)
      }
      return { apps, drainingHosts, unavailable: [], readAt }
    }

    // A span without a captured stack (an Error per call otherwise): every pass asks.
    const forInstance = (name: string, notBefore: number) =>
      Effect.withSpan(forInstanceUntraced(name, notBefore), "MarathonSnapshot.forInstance", { captureStackTrace: false })

    const sum = (pick: (part: (typeof parts)[number]) => Effect.Effect<number>) =>
      Effect.map(Effect.forEach(parts, pick), (counts) => counts.reduce((a, b) => a + b, 0))

    return {
      get,
      forInstance,
      forInstanceNow,
      written: (name, at) => {
        writtenAt.set(name, Math.max(at, writtenAt.get(name) ?? 0))
      },
      latest,
      fetches: sum((part) => part.fetches),
      targetedFetches: sum((part) => part.targetedFetches)
    } satisfies MarathonSnapshot
  })
