// The controller's view of Marathon (the seed's cached master state). Resync work — thousands of
// keys at once — is served from one shared `GET /v2/apps?embed=apps.tasks` snapshot; concurrent
// askers wait for one fetch, and fetches are spaced at least `minIntervalMs` apart. Work caused by
// an event or an edit needs state newer than the snapshot: it fetches just its own instance's apps
// (`?id=<prefix>`), a few milliseconds instead of a full list of every app. Either view may be
// slightly stale by design: every write is checked again by Marathon and by the next reconcile.
import { Clock, Duration, Effect, Semaphore } from "effect"
import { appIdPrefix, belongsTo, instanceNameOf } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { Ownership } from "../domain/Ownership.ts"
import { owns } from "../domain/Ownership.ts"
import type { MarathonError } from "../marathon/MarathonError.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import { recordUntrustedAnswer } from "../telemetry/ControllerMetrics.ts"
import { Owner } from "./Owner.ts"
import { appsAnswerProblem, listShrinkProblem, shrinkConfirmations } from "./Plausibility.ts"
import { UntrustedAnswer } from "./UntrustedAnswer.ts"

export interface Snapshot {
  readonly apps: ReadonlyArray<ObservedApp>
  /** When the fetch that produced it started (ms): it reflects everything before this. */
  readonly startedAt: number
  /** This installation's apps by instance name (other owners' and unmanaged apps are left out). */
  readonly byInstance: ReadonlyMap<string, ReadonlyArray<ObservedApp>>
  /** Instance names of the apps each in-flight deployment touches. */
  readonly deployments: ReadonlyMap<string, ReadonlyArray<string>>
  /** Agents Mesos maintenance is draining, read with the same fetch. */
  readonly drainingHosts: ReadonlySet<string>
}

/** What one reconcile sees of Marathon. */
export interface InstanceView {
  /** The instance's apps (managed ones; also unmanaged ones under its prefix when fetched alone). */
  readonly apps: ReadonlyArray<ObservedApp>
  readonly drainingHosts: ReadonlySet<string>
}

export interface MarathonSnapshot {
  /** A snapshot whose fetch started at or after `notBefore` (ms, the Effect clock). */
  readonly get: (notBefore: number) => Effect.Effect<Snapshot, MarathonError | UntrustedAnswer>
  /**
   * One instance's apps as of `notBefore` or later: from the shared snapshot when it is fresh
   * enough, else fetched alone. `notBefore` 0 takes any snapshot (fetching one if there is none).
   */
  readonly forInstance: (name: string, notBefore: number) => Effect.Effect<InstanceView, MarathonError | UntrustedAnswer>
  /** The last snapshot taken, if any, without fetching. */
  readonly latest: Effect.Effect<Snapshot | undefined>
  /** Full list calls made so far (for the steady-state benchmark). */
  readonly fetches: Effect.Effect<number>
  /** Single-instance list calls made so far. */
  readonly targetedFetches: Effect.Effect<number>
}

/** Maintenance answers older than this are asked again on a single-instance fetch. */
const maintenanceMaxAgeMs = 10_000

export const indexSnapshot = (
  apps: ReadonlyArray<ObservedApp>,
  startedAt: number,
  ownership: Ownership,
  drainingHosts: ReadonlySet<string> = new Set()
): Snapshot => {
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
  return { apps, startedAt, byInstance, deployments, drainingHosts }
}

export const makeMarathonSnapshot = (options: { readonly minIntervalMs?: number } = {}) =>
  Effect.gen(function*() {
    const marathon = yield* MarathonClient
    const maintenance = yield* MesosMaintenance
    const ownership = yield* Owner
    const minIntervalMs = options.minIntervalMs ?? 100
    const lock = yield* Semaphore.make(1)
    let current: Snapshot | undefined
    let fetches = 0
    let targetedFetches = 0
    let maintenanceAt = 0
    let drainingHosts: ReadonlySet<string> = new Set()
    // A shrunken list is believed once the same count came back this many times in a row.
    let shrunk = { owned: -1, times: 0 }

    const untrusted = (problem: { readonly reason: string; readonly message: string }) =>
      recordUntrustedAnswer(problem.reason).pipe(
        Effect.andThen(
          Effect.logWarning("Marathon answer not trusted; retrying").pipe(
            Effect.annotateLogs({ reason: problem.reason, detail: problem.message })
          )
        ),
        Effect.andThen(Effect.fail(new UntrustedAnswer({ reason: problem.reason, message: problem.message })))
      )

    const refresh = Effect.fnUntraced(function*(notBefore: number) {
      // Someone else's fetch, finished while we waited for the lock, may already be fresh enough.
      if (current !== undefined && current.startedAt >= notBefore) return current
      const now = yield* Clock.currentTimeMillis
      if (current !== undefined && now - current.startedAt < minIntervalMs) {
        yield* Effect.sleep(Duration.millis(minIntervalMs - (now - current.startedAt)))
      }
      const startedAt = yield* Clock.currentTimeMillis
      const [apps, hosts] = yield* Effect.all([marathon.listApps, maintenance.drainingHosts], {
        concurrency: 2
      })
      fetches++
      const next = indexSnapshot(apps, startedAt, ownership, hosts)
      const ownedApps = (snapshot: Snapshot) => {
        let count = 0
        for (const list of snapshot.byInstance.values()) count += list.length
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
      drainingHosts = hosts
      maintenanceAt = startedAt
      current = next
      return current
    })

    const get = Effect.fn("MarathonSnapshot.get")(function*(notBefore: number) {
      if (current !== undefined && current.startedAt >= notBefore) return current
      return yield* lock.withPermits(1)(refresh(notBefore))
    })

    const forInstance = Effect.fn("MarathonSnapshot.forInstance")(function*(name: string, notBefore: number) {
      if (notBefore === 0 || (current !== undefined && current.startedAt >= notBefore)) {
        const snapshot = current !== undefined ? current : yield* get(0)
        return { apps: snapshot.byInstance.get(name) ?? [], drainingHosts: snapshot.drainingHosts }
      }
      const now = yield* Clock.currentTimeMillis
      const [apps, hosts] = yield* Effect.all([
        marathon.listAppsById(appIdPrefix(name as InstanceName)),
        now - maintenanceAt > maintenanceMaxAgeMs
          ? Effect.tap(maintenance.drainingHosts, (fresh) =>
            Effect.sync(() => {
              drainingHosts = fresh
              maintenanceAt = now
            }))
          : Effect.succeed(drainingHosts)
      ], { concurrency: 2 })
      targetedFetches++
      // Marathon's id filter matches anywhere in the id: keep only this instance's own apps.
      const own = apps.filter((app) => belongsTo(app.id, name as InstanceName))
      const problem = appsAnswerProblem(own)
      if (problem !== undefined) return yield* untrusted(problem)
      return { apps: own, drainingHosts: hosts }
    })

    return {
      get,
      forInstance,
      latest: Effect.sync(() => current),
      fetches: Effect.sync(() => fetches),
      targetedFetches: Effect.sync(() => targetedFetches)
    } satisfies MarathonSnapshot
  })
