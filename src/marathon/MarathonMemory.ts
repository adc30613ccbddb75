// An in-memory MarathonClient for tests and local runs: a map of apps and tasks that create,
// scale, delete and kill-and-scale act on, a log of every call, and fault knobs (fail the next
// calls of an operation with a given reason). It does not launch tasks by itself; tests seed them.
// `MarathonMemory.layer` provides both MarathonClient and this control service.
import { Context, DateTime, Effect, Layer, Ref } from "effect"
import type { AppDefinition } from "../domain/AppDefinition.ts"
import type { ObservedApp, ObservedTask } from "../plan/Observed.ts"
import type { CreateResult, DeleteResult } from "./MarathonClient.ts"
import { MarathonClient } from "./MarathonClient.ts"
import type { MarathonErrorReason } from "./MarathonError.ts"
import { AppNotFound, MarathonError } from "./MarathonError.ts"

export type MarathonOperation = "listApps" | "getApp" | "createApp" | "scaleApp" | "deleteApp" | "killTasks" | "listDeployments"

export interface MarathonCall {
  readonly operation: MarathonOperation
  readonly appId?: string
  readonly instances?: number
  readonly taskIds?: ReadonlyArray<string>
}

interface State {
  readonly apps: ReadonlyMap<string, ObservedApp>
  readonly calls: ReadonlyArray<MarathonCall>
  readonly faults: ReadonlyMap<MarathonOperation, ReadonlyArray<MarathonErrorReason>>
  readonly versions: number
}

export class MarathonMemory extends Context.Service<MarathonMemory, {
  /** Replaces the app with the same id (or adds it). */
  readonly seed: (app: ObservedApp) => Effect.Effect<void>
  /** Adds tasks to an existing app. */
  readonly addTasks: (appId: string, tasks: ReadonlyArray<ObservedTask>) => Effect.Effect<void>
  /** The next calls of `operation` fail with these reasons, one per call. */
  readonly failNext: (operation: MarathonOperation, ...reasons: ReadonlyArray<MarathonErrorReason>) => Effect.Effect<void>
  readonly apps: Effect.Effect<ReadonlyArray<ObservedApp>>
  readonly calls: Effect.Effect<ReadonlyArray<MarathonCall>>
}>()("mdeploy/marathon/MarathonMemory") {
  static readonly layer: Layer.Layer<MarathonClient | MarathonMemory> = Layer.effectContext(Effect.gen(function*() {
    const state = yield* Ref.make<State>({ apps: new Map(), calls: [], faults: new Map(), versions: 0 })

    const enter = (call: MarathonCall) =>
      Effect.gen(function*() {
        const fault = yield* Ref.modify(state, (s) => {
          const [next, ...rest] = s.faults.get(call.operation) ?? []
          return [next, { ...s, calls: [...s.calls, call], faults: new Map(s.faults).set(call.operation, rest) }]
        })
        if (fault !== undefined) return yield* new MarathonError({ reason: fault, method: call.operation, path: call.appId ?? "" })
      })
    const update = (f: (apps: Map<string, ObservedApp>) => void) =>
      Ref.update(state, (s) => {
        const apps = new Map(s.apps)
        f(apps)
        return { ...s, apps }
      })
    const notFound = (operation: MarathonOperation, appId: string) =>
      new MarathonError({ reason: new AppNotFound({ message: `App '${appId}' does not exist` }), method: operation, path: appId })

    const client = MarathonClient.of({
      listApps: Effect.gen(function*() {
        yield* enter({ operation: "listApps" })
        return [...(yield* Ref.get(state)).apps.values()].filter((app) => app.labels["MDEPLOY_MANAGED"] === "true")
      }),
      listAppsById: (fragment) =>
        Effect.gen(function*() {
          yield* enter({ operation: "listApps" })
          return [...(yield* Ref.get(state)).apps.values()].filter((app) => app.id.toLowerCase().includes(fragment.toLowerCase()))
        }),
      getApp: (appId) =>
        Effect.gen(function*() {
          yield* enter({ operation: "getApp", appId })
          const app = (yield* Ref.get(state)).apps.get(appId)
          return app === undefined ? yield* notFound("getApp", appId) : app
        }),
      createApp: (definition: AppDefinition) =>
        Effect.gen(function*() {
          const appId = String(definition["id"])
          yield* enter({ operation: "createApp", appId })
          const current = yield* Ref.get(state)
          if (current.apps.has(appId)) return "AlreadyExists" satisfies CreateResult
          const checks = (definition["healthChecks"] ?? []) as ReadonlyArray<{ gracePeriodSeconds: number; intervalSeconds: number }>
          const version = DateTime.formatIso(DateTime.makeUnsafe(current.versions * 1000 + 1_700_000_000_000))
          yield* Ref.update(state, (s) => ({ ...s, versions: s.versions + 1 }))
          yield* update((apps) =>
            apps.set(appId, {
              id: appId,
              instances: Number(definition["instances"] ?? 1),
              labels: (definition["labels"] ?? {}) as Record<string, string>,
              version,
              healthCheck: checks[0] === undefined ? undefined : {
                gracePeriodSeconds: checks[0].gracePeriodSeconds,
                intervalSeconds: checks[0].intervalSeconds
              },
              tasks: [],
              deployments: []
            })
          )
          return "Created" satisfies CreateResult
        }),
      scaleApp: (appId, instances) =>
        Effect.gen(function*() {
          yield* enter({ operation: "scaleApp", appId, instances })
          const app = (yield* Ref.get(state)).apps.get(appId)
          if (app === undefined) return yield* notFound("scaleApp", appId)
          yield* update((apps) => apps.set(appId, { ...app, instances }))
          return { deploymentId: `scale-${appId}-${instances}` }
        }),
      deleteApp: (appId) =>
        Effect.gen(function*() {
          yield* enter({ operation: "deleteApp", appId })
          if (!(yield* Ref.get(state)).apps.has(appId)) return "AlreadyGone" satisfies DeleteResult
          yield* update((apps) => apps.delete(appId))
          return "Deleted" satisfies DeleteResult
        }),
      killTasks: (taskIds) =>
        Effect.gen(function*() {
          if (taskIds.length === 0) return
          yield* enter({ operation: "killTasks", taskIds })
          const ids = new Set(taskIds)
          yield* update((apps) => {
            for (const [id, app] of apps) {
              const kept = app.tasks.filter((task) => !ids.has(task.id))
              const killed = app.tasks.length - kept.length
              if (killed > 0) apps.set(id, { ...app, tasks: kept, instances: Math.max(0, app.instances - killed) })
            }
          })
        }),
      listDeployments: Effect.as(enter({ operation: "listDeployments" }), [])
    })

    const control = MarathonMemory.of({
      seed: (app) => update((apps) => apps.set(app.id, app)),
      addTasks: (appId, tasks) =>
        update((apps) => {
          const app = apps.get(appId)
          if (app !== undefined) apps.set(appId, { ...app, tasks: [...app.tasks, ...tasks] })
        }),
      failNext: (operation, ...reasons) =>
        Ref.update(state, (s) => ({
          ...s,
          faults: new Map(s.faults).set(operation, [...(s.faults.get(operation) ?? []), ...reasons])
        })),
      apps: Effect.map(Ref.get(state), (s) => [...s.apps.values()]),
      calls: Effect.map(Ref.get(state), (s) => s.calls)
    })
    return Context.make(MarathonClient, client).pipe(Context.add(MarathonMemory, control))
  }))
}
