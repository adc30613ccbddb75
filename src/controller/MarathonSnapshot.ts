// The controller's shared view of Marathon (the seed's cached master state): one
// `GET /v2/apps?embed=apps.tasks` serves every reconcile that asks for state no older than the
// moment its key was queued. Concurrent askers wait for one fetch instead of issuing their own,
// fetches are spaced at least `minIntervalMs` apart, and a snapshot may be slightly stale by
// design: every write is checked again by Marathon (409 on a locked app) and by the next reconcile.
import { Clock, Duration, Effect, Semaphore } from "effect"
import { instanceNameOf, isManaged } from "../domain/AppIdentity.ts"
import type { MarathonError } from "../marathon/MarathonError.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { MesosMaintenance } from "../marathon/MesosMaintenance.ts"
import type { ObservedApp } from "../plan/Observed.ts"

export interface Snapshot {
  readonly apps: ReadonlyArray<ObservedApp>
  /** When the fetch that produced it started (ms): it reflects everything before this. */
  readonly startedAt: number
  /** Managed app ids by instance name. */
  readonly byInstance: ReadonlyMap<string, ReadonlyArray<ObservedApp>>
  /** Instance names of the apps each in-flight deployment touches. */
  readonly deployments: ReadonlyMap<string, ReadonlyArray<string>>
  /** Agents Mesos maintenance is draining, read with the same fetch. */
  readonly drainingHosts: ReadonlySet<string>
}

export interface MarathonSnapshot {
  /** A snapshot whose fetch started at or after `notBefore` (ms, the Effect clock). */
  readonly get: (notBefore: number) => Effect.Effect<Snapshot, MarathonError>
  /** The last snapshot taken, if any, without fetching. */
  readonly latest: Effect.Effect<Snapshot | undefined>
  /** List calls made so far (for the steady-state benchmark). */
  readonly fetches: Effect.Effect<number>
}

export const indexSnapshot = (
  apps: ReadonlyArray<ObservedApp>,
  startedAt: number,
  drainingHosts: ReadonlySet<string> = new Set()
): Snapshot => {
  const byInstance = new Map<string, Array<ObservedApp>>()
  const deployments = new Map<string, Array<string>>()
  for (const app of apps) {
    const name = instanceNameOf(app.id)
    if (name === undefined || !isManaged(app.labels)) continue
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
    const minIntervalMs = options.minIntervalMs ?? 100
    const lock = yield* Semaphore.make(1)
    let current: Snapshot | undefined
    let fetches = 0

    const refresh = Effect.fnUntraced(function*(notBefore: number) {
      // Someone else's fetch, finished while we waited for the lock, may already be fresh enough.
      if (current !== undefined && current.startedAt >= notBefore) return current
      const now = yield* Clock.currentTimeMillis
      if (current !== undefined && now - current.startedAt < minIntervalMs) {
        yield* Effect.sleep(Duration.millis(minIntervalMs - (now - current.startedAt)))
      }
      const startedAt = yield* Clock.currentTimeMillis
      const [apps, drainingHosts] = yield* Effect.all([marathon.listApps, maintenance.drainingHosts], {
        concurrency: 2
      })
      fetches++
      current = indexSnapshot(apps, startedAt, drainingHosts)
      return current
    })

    const get = Effect.fn("MarathonSnapshot.get")(function*(notBefore: number) {
      if (current !== undefined && current.startedAt >= notBefore) return current
      return yield* lock.withPermits(1)(refresh(notBefore))
    })

    return {
      get,
      latest: Effect.sync(() => current),
      fetches: Effect.sync(() => fetches)
    } satisfies MarathonSnapshot
  })
