import { DateTime } from "effect"
import { desiredApp } from "../../src/domain/AppIdentity.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import type { DrainRecord } from "../../src/drain/DrainRecord.ts"
import type { DrainConfig, DrainState, TaskDrainAnswer } from "../../src/plan/DrainState.ts"
import type { ObservedApp, ObservedInstance, ObservedTask } from "../../src/plan/Observed.ts"

export const name = "web.main" as InstanceName
export const t0 = DateTime.makeUnsafe("2024-05-01T12:00:00.000Z")
export const at = (seconds: number): DateTime.Utc => DateTime.add(t0, { seconds })

export const spec = (overrides: ServiceInstanceSpec = { cmd: "serve" }): ResolvedSpec =>
  resolveSpec(name, { cmd: "serve", gitSha: "aaaaaaaa", ...overrides })

export const newId = (resolved: ResolvedSpec): string => desiredApp(resolved).id
export const oldId = (n: number): string => `/web.main.gitold0000${n}.config0000000${n}`
export const managedLabels = { MDEPLOY_MANAGED: "true", MDEPLOY_SERVICE: "web", MDEPLOY_INSTANCE: "main" }

export interface TaskOptions {
  readonly host?: string
  readonly state?: string
  /** Seconds before `at(0)` the task started; undefined = not started (staging). */
  readonly startedAgo?: number | undefined
  readonly alive?: ReadonlyArray<boolean>
  readonly ports?: ReadonlyArray<number>
}

export const task = (appId: string, id: string, options: TaskOptions = {}): ObservedTask => {
  const startedAgo = "startedAgo" in options ? options.startedAgo : 3600
  return {
    id: `${appId.slice(1).replaceAll("/", "_")}.${id}`,
    appId,
    host: options.host ?? "agent-1",
    ports: options.ports ?? [31000],
    state: options.state ?? (startedAgo === undefined ? "TASK_STAGING" : "TASK_RUNNING"),
    stagedAt: at(-(startedAgo ?? 0) - 5),
    startedAt: startedAgo === undefined ? undefined : at(-startedAgo),
    healthCheckResults: (options.alive ?? []).map((alive) => ({ alive }))
  }
}

export const tasks = (appId: string, prefix: string, count: number, options: TaskOptions = {}) =>
  Array.from({ length: count }, (_, i) => task(appId, `${prefix}${i + 1}`, options))

export interface AppOptions {
  readonly instances?: number
  readonly version?: string
  readonly managed?: boolean
  readonly healthCheck?: boolean
}

export const app = (id: string, appTasks: ReadonlyArray<ObservedTask>, options: AppOptions = {}): ObservedApp => ({
  id,
  instances: options.instances ?? appTasks.length,
  labels: options.managed === false ? {} : managedLabels,
  version: options.version ?? "2024-01-01T00:00:00.000Z",
  healthCheck: options.healthCheck === true ? { gracePeriodSeconds: 60, intervalSeconds: 10 } : undefined,
  tasks: appTasks,
  deployments: []
})

export const observed = (apps: ReadonlyArray<ObservedApp>, drainingHosts: ReadonlyArray<string> = []): ObservedInstance => ({
  name,
  apps,
  drainingHosts: new Set(drainingHosts)
})

export const drainState = (options: {
  readonly drain?: DrainConfig
  readonly answers?: ReadonlyArray<readonly [string, TaskDrainAnswer]>
  readonly records?: ReadonlyArray<readonly [string, DrainRecord]>
  readonly safeOnDrain?: boolean
} = {}): DrainState => {
  const drain = options.drain ?? { method: "noop", onError: "retry", timeoutSeconds: 15 }
  return {
    drain,
    safeOnDrain: options.safeOnDrain ?? drain.method === "noop",
    answers: new Map(options.answers ?? []),
    records: new Map(options.records ?? []),
    progress: undefined
  }
}

export const hacheck: DrainConfig = { method: "hacheck", params: { delay: 60 }, onError: "retry", timeoutSeconds: 15 }
export const draining = (id: string, safeToKill: boolean | "error" = false) => [id, { draining: true, safeToKill }] as const
