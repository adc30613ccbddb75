// Marathon payloads, decoded with Schema — only the fields mdeploy reads. Optional fields accept
// both "absent" (Marathon ≥ 1.5) and null (older Marathon), and unknown fields are ignored, so a
// newer or older Marathon does not break decoding. Also maps apps to the planner's ObservedApp.
// App answers are read by AppListDecoder.ts in one walk; MarathonApp and `toObservedApp` here are
// the definition it is held to (test/marathon/AppListDecoder.test.ts).
import { DateTime, Option, Schema } from "effect"
import type { ObservedApp, ObservedTask } from "../plan/Observed.ts"

const optionalNullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const MarathonHealthResult = Schema.Struct({ alive: Schema.Boolean })

export const MarathonTask = Schema.Struct({
  id: Schema.String,
  appId: Schema.String,
  host: optionalNullable(Schema.String),
  state: optionalNullable(Schema.String),
  stagedAt: optionalNullable(Schema.String),
  startedAt: optionalNullable(Schema.String),
  ports: optionalNullable(Schema.Array(Schema.Number)),
  healthCheckResults: optionalNullable(Schema.Array(MarathonHealthResult))
})
export type MarathonTask = typeof MarathonTask.Type

export const MarathonApp = Schema.Struct({
  id: Schema.String,
  instances: Schema.Number,
  labels: optionalNullable(Schema.Record(Schema.String, Schema.String)),
  version: optionalNullable(Schema.String),
  versionInfo: optionalNullable(Schema.Struct({ lastConfigChangeAt: optionalNullable(Schema.String) })),
  healthChecks: optionalNullable(Schema.Array(Schema.Struct({
    gracePeriodSeconds: optionalNullable(Schema.Number),
    intervalSeconds: optionalNullable(Schema.Number)
  }))),
  tasks: optionalNullable(Schema.Array(MarathonTask)),
  tasksRunning: optionalNullable(Schema.Number),
  deployments: optionalNullable(Schema.Array(Schema.Struct({ id: Schema.String }))),
  /** Marathon's record of the app's newest task that failed (embed `apps.lastTaskFailure`). */
  lastTaskFailure: optionalNullable(Schema.Struct({
    taskId: Schema.String,
    state: Schema.String,
    message: Schema.String,
    timestamp: Schema.String,
    host: optionalNullable(Schema.String)
  }))
})
export type MarathonApp = typeof MarathonApp.Type

export const AppList = Schema.Struct({ apps: Schema.Array(MarathonApp) })
export const AppEnvelope = Schema.Struct({ app: MarathonApp })

export const DeploymentResult = Schema.Struct({
  deploymentId: Schema.String,
  version: optionalNullable(Schema.String)
})
export type DeploymentResult = typeof DeploymentResult.Type

export const MarathonDeployment = Schema.Struct({
  id: Schema.String,
  version: optionalNullable(Schema.String),
  affectedApps: optionalNullable(Schema.Array(Schema.String))
})
export type MarathonDeployment = typeof MarathonDeployment.Type
export const DeploymentList = Schema.Array(MarathonDeployment)

export const ErrorBody = Schema.Struct({
  message: optionalNullable(Schema.String),
  details: Schema.optional(Schema.Unknown),
  deployments: optionalNullable(Schema.Array(Schema.Struct({ id: Schema.String })))
})
export type ErrorBody = typeof ErrorBody.Type

const instant = (value: string | null | undefined): DateTime.Utc | undefined =>
  value === null || value === undefined ? undefined : Option.getOrUndefined(DateTime.make(value))

/** Marathon's own defaults for a Marathon-level check, used when the app omits them. */
const marathonHealthDefaults = { gracePeriodSeconds: 300, intervalSeconds: 60 }

export const toObservedTask = (task: MarathonTask): ObservedTask => ({
  id: task.id,
  appId: task.appId,
  host: task.host ?? "",
  ports: task.ports ?? [],
  state: task.state ?? "TASK_STAGING",
  stagedAt: instant(task.stagedAt),
  startedAt: instant(task.startedAt),
  healthCheckResults: task.healthCheckResults ?? []
})

export const toObservedApp = (app: MarathonApp): ObservedApp => {
  const check = app.healthChecks?.[0]
  return {
    id: app.id,
    instances: app.instances,
    labels: app.labels ?? {},
    version: app.versionInfo?.lastConfigChangeAt ?? app.version ?? "",
    healthCheck: check === undefined ? undefined : {
      gracePeriodSeconds: check.gracePeriodSeconds ?? marathonHealthDefaults.gracePeriodSeconds,
      intervalSeconds: check.intervalSeconds ?? marathonHealthDefaults.intervalSeconds
    },
    tasks: (app.tasks ?? []).map(toObservedTask),
    deployments: (app.deployments ?? []).map((deployment) => deployment.id),
    ...(typeof app.tasksRunning === "number" ? { tasksRunning: app.tasksRunning } : {}),
    ...(app.lastTaskFailure === null || app.lastTaskFailure === undefined ? {} : {
      lastTaskFailure: {
        taskId: app.lastTaskFailure.taskId,
        state: app.lastTaskFailure.state,
        message: app.lastTaskFailure.message,
        at: app.lastTaskFailure.timestamp,
        host: app.lastTaskFailure.host ?? ""
      }
    })
  }
}
