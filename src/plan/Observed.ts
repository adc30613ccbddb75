// What Marathon runs for one instance, as plain immutable data: the planner's view of the world.
// Built by the reconciler from one `MarathonClient.listApps` snapshot (plus Mesos maintenance
// hosts); never fetched here. Holds every app whose id starts with the instance prefix, managed
// or not: the planner itself refuses to touch apps without the MDEPLOY_MANAGED label.
import type { DateTime } from "effect"
import { belongsTo } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { defaultShard } from "../domain/ShardPlacement.ts"

export interface HealthResult {
  readonly alive: boolean
}

export interface ObservedTask {
  /** Marathon task id (`<app id with / as _>.instance-<uuid>._app.<n>` or older forms). */
  readonly id: string
  readonly appId: string
  readonly host: string
  readonly ports: ReadonlyArray<number>
  /** Mesos state, e.g. TASK_STAGING, TASK_RUNNING, TASK_KILLING, TASK_UNREACHABLE. */
  readonly state: string
  readonly stagedAt: DateTime.Utc | undefined
  /** Set once the task reached TASK_RUNNING (Marathon's clock). */
  readonly startedAt: DateTime.Utc | undefined
  /**
   * When this process first saw the task running, on the clock plans are made with (ObservedAge).
   * Ages for trust decisions use it when present; Marathon's clock may be skewed.
   */
  readonly runningSince?: DateTime.Utc
  readonly healthCheckResults: ReadonlyArray<HealthResult>
}

/** The first health check of an app: what "old task missing health results" is measured against. */
export interface ObservedHealthCheck {
  readonly gracePeriodSeconds: number
  readonly intervalSeconds: number
}

export interface ObservedApp {
  /** Canonical absolute id, e.g. `/web.main.git9f2c1e7a.config1a2b3c4d`. */
  readonly id: string
  /**
   * The Marathon shard the app was listed on; absent: the default shard. One app id may live on two
   * shards while an instance moves: (shard, id) is an app's identity, never the id alone.
   */
  readonly shard?: string
  /** Target instance count Marathon was asked for (may exceed the tasks listed: unlaunched slots). */
  readonly instances: number
  readonly labels: Readonly<Record<string, string>>
  /** Marathon's `versionInfo.lastConfigChangeAt` (or `version`): orders app versions, oldest first. */
  readonly version: string
  readonly healthCheck: ObservedHealthCheck | undefined
  readonly tasks: ReadonlyArray<ObservedTask>
  /** Ids of Marathon deployments in flight for the app. */
  readonly deployments: ReadonlyArray<string>
  /** Marathon's own count of running tasks, when the answer carried it: checked against `tasks`. */
  readonly tasksRunning?: number
  /** The app's newest failed task as Marathon recorded it: why new tasks may not come up. */
  readonly lastTaskFailure?: TaskFailure
}

export interface TaskFailure {
  readonly taskId: string
  /** Mesos task state, e.g. TASK_FAILED. */
  readonly state: string
  readonly message: string
  /** When it failed (Marathon's ISO timestamp). */
  readonly at: string
  readonly host: string
}

export interface ObservedInstance {
  readonly name: InstanceName
  /** Apps whose id starts with `/<svc>.<inst>.`, managed or not. */
  readonly apps: ReadonlyArray<ObservedApp>
  /** Agents that Mesos maintenance marks as draining: their tasks are at risk. */
  readonly drainingHosts: ReadonlySet<string>
  /**
   * The shard the instance lives on (ShardPlacement.ts); absent: the default shard. Only the desired
   * app on this shard is the new app: the same id on any other shard is an old app, bounced away.
   */
  readonly shard?: string
}

/** Same Marathon shard: absent and "default" are one. */
export const sameShard = (a: string | undefined, b: string | undefined): boolean => (a ?? defaultShard) === (b ?? defaultShard)

/** Selects one instance's apps from a snapshot of many (exact `/<svc>.<inst>.` prefix match). */
/**
 * Tasks already on their way out: Marathon lists a killed task as TASK_KILLING until Mesos confirms.
 * They serve nothing and must not be drained or killed a second time (a retried pass would).
 */
export const goingAway: ReadonlySet<string> = new Set(["TASK_KILLING", "TASK_KILLED", "TASK_FINISHED", "TASK_GONE"])

/**
 * `isForeign` marks apps that carry MDEPLOY_MANAGED but belong to another installation (§11): they
 * are dropped here, so nothing downstream can plan, probe or count them. Apps without the label
 * stay in view (the planner refuses to touch them, and a create must know its id is taken).
 */
export const observedInstance = (
  name: InstanceName,
  apps: ReadonlyArray<ObservedApp>,
  drainingHosts: Iterable<string> = [],
  isForeign: (app: ObservedApp) => boolean = () => false,
  shard?: string
): ObservedInstance => ({
  ...(shard === undefined || shard === defaultShard ? {} : { shard }),
  name,
  apps: apps
    .filter((app) => belongsTo(app.id, name) && !isForeign(app))
    .map((app) =>
      app.tasks.some((task) => goingAway.has(task.state))
        ? { ...app, tasks: app.tasks.filter((task) => !goingAway.has(task.state)) }
        : app
    ),
  // A set is kept as it is (the snapshot's, shared by every instance's view): read, never changed.
  drainingHosts: drainingHosts instanceof Set ? drainingHosts : new Set(drainingHosts)
})
