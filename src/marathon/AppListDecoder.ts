// Marathon's app answers (a list, or one app in its envelope) decoded straight into the planner's
// ObservedApp, in one walk over the parsed JSON. It accepts exactly what the Schema definitions of
// MarathonSchema.ts accept (test/marathon/AppListDecoder.test.ts holds it to them on generated
// answers) and builds what their decode followed by `toObservedApp` builds. It exists because a
// resync lists every managed app: at 30,000 apps (64 MB of answer) the Schema decode and mapping
// took about 215 ms beyond JSON.parse, this walk about 95, and it leaves no intermediate copy of
// the whole list for the collector.
import { DateTime, Option } from "effect"
import type { ObservedApp, ObservedTask } from "../plan/Observed.ts"

/** Why an answer is not what Marathon sends: the path of the first field that is wrong, and what it held. */
export class UnreadableAnswer extends Error {
  static field(path: string, expected: string, actual: unknown) {
    return new UnreadableAnswer(`${path}: expected ${expected}, got ${describe(actual)}`)
  }
}

const describe = (value: unknown) =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "an array"
    : typeof value === "string"
    ? JSON.stringify(value.slice(0, 40))
    : typeof value

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const object = (value: unknown, path: string): Json => {
  if (!isObject(value)) throw UnreadableAnswer.field(path, "an object", value)
  return value
}
const string = (value: unknown, path: string): string => {
  if (typeof value !== "string") throw UnreadableAnswer.field(path, "a string", value)
  return value
}
const number = (value: unknown, path: string): number => {
  if (typeof value !== "number") throw UnreadableAnswer.field(path, "a number", value)
  return value
}
const array = (value: unknown, path: string): ReadonlyArray<unknown> => {
  if (!Array.isArray(value)) throw UnreadableAnswer.field(path, "an array", value)
  return value
}
/** An optional field: absent and null (older Marathon) are both "not there". */
const optional = <A>(value: unknown, path: string, read: (value: unknown, path: string) => A): A | undefined =>
  value === undefined || value === null ? undefined : read(value, path)

// As MarathonSchema's toObservedTask reads a time: a string Date cannot read is no time at all.
const instant = (value: string | undefined): DateTime.Utc | undefined =>
  value === undefined ? undefined : Option.getOrUndefined(DateTime.make(value))

/** Marathon's own defaults for a Marathon-level check, used when the app omits them. */
const marathonHealthDefaults = { gracePeriodSeconds: 300, intervalSeconds: 60 }

const healthResult = (value: unknown, path: string) => {
  const result = object(value, path)
  if (typeof result.alive !== "boolean") throw UnreadableAnswer.field(`${path}.alive`, "a boolean", result.alive)
  return { alive: result.alive }
}

const each = <A>(values: ReadonlyArray<unknown>, path: string, read: (value: unknown, path: string) => A): Array<A> => {
  const out = new Array<A>(values.length)
  for (let index = 0; index < values.length; index++) out[index] = read(values[index], `${path}[${index}]`)
  return out
}

const task = (value: unknown, path: string): ObservedTask => {
  const raw = object(value, path)
  const id = string(raw.id, `${path}.id`)
  const appId = string(raw.appId, `${path}.appId`)
  const host = optional(raw.host, `${path}.host`, string)
  const state = optional(raw.state, `${path}.state`, string)
  const stagedAt = optional(raw.stagedAt, `${path}.stagedAt`, string)
  const startedAt = optional(raw.startedAt, `${path}.startedAt`, string)
  const ports = optional(raw.ports, `${path}.ports`, array)
  const results = optional(raw.healthCheckResults, `${path}.healthCheckResults`, array)
  return {
    id,
    appId,
    host: host ?? "",
    ports: ports === undefined ? [] : each(ports, `${path}.ports`, number),
    state: state ?? "TASK_STAGING",
    stagedAt: instant(stagedAt),
    startedAt: instant(startedAt),
    healthCheckResults: results === undefined ? [] : each(results, `${path}.healthCheckResults`, healthResult)
  }
}

const labels = (value: unknown, path: string): Readonly<Record<string, string>> => {
  const raw = object(value, path)
  for (const key in raw) {
    if (Object.hasOwn(raw, key) && typeof raw[key] !== "string") throw UnreadableAnswer.field(`${path}.${key}`, "a string", raw[key])
  }
  return raw as Record<string, string>
}

/** One app of an answer, already parsed, as the planner sees it; `path` names it in errors. */
export const observedAppOf = (value: unknown, path: string): ObservedApp => {
  const raw = object(value, path)
  const id = string(raw.id, `${path}.id`)
  const instances = number(raw.instances, `${path}.instances`)
  const appLabels = optional(raw.labels, `${path}.labels`, labels)
  const version = optional(raw.version, `${path}.version`, string)
  const versionInfo = optional(raw.versionInfo, `${path}.versionInfo`, object)
  const lastConfigChangeAt = versionInfo === undefined
    ? undefined
    : optional(versionInfo.lastConfigChangeAt, `${path}.versionInfo.lastConfigChangeAt`, string)
  const checks = optional(raw.healthChecks, `${path}.healthChecks`, array)
  const healthChecks = checks === undefined ? undefined : each(checks, `${path}.healthChecks`, (check, at) => {
    const fields = object(check, at)
    return {
      gracePeriodSeconds: optional(fields.gracePeriodSeconds, `${at}.gracePeriodSeconds`, number),
      intervalSeconds: optional(fields.intervalSeconds, `${at}.intervalSeconds`, number)
    }
  })
  const tasks = optional(raw.tasks, `${path}.tasks`, array)
  const tasksRunning = optional(raw.tasksRunning, `${path}.tasksRunning`, number)
  const deployments = optional(raw.deployments, `${path}.deployments`, array)
  const failure = optional(raw.lastTaskFailure, `${path}.lastTaskFailure`, object)
  const check = healthChecks?.[0]
  return {
    id,
    instances,
    labels: appLabels ?? {},
    version: lastConfigChangeAt ?? version ?? "",
    healthCheck: check === undefined ? undefined : {
      gracePeriodSeconds: check.gracePeriodSeconds ?? marathonHealthDefaults.gracePeriodSeconds,
      intervalSeconds: check.intervalSeconds ?? marathonHealthDefaults.intervalSeconds
    },
    tasks: tasks === undefined ? [] : each(tasks, `${path}.tasks`, task),
    deployments: deployments === undefined
      ? []
      : each(deployments, `${path}.deployments`, (deployment, at) => string(object(deployment, at).id, `${at}.id`)),
    ...(tasksRunning === undefined ? {} : { tasksRunning }),
    ...(failure === undefined ? {} : {
      lastTaskFailure: {
        taskId: string(failure.taskId, `${path}.lastTaskFailure.taskId`),
        state: string(failure.state, `${path}.lastTaskFailure.state`),
        message: string(failure.message, `${path}.lastTaskFailure.message`),
        at: string(failure.timestamp, `${path}.lastTaskFailure.timestamp`),
        host: optional(failure.host, `${path}.lastTaskFailure.host`, string) ?? ""
      }
    })
  }
}

/** The text of a JSON answer, parsed: a text that is not JSON is an unreadable answer too. */
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UnreadableAnswer(`not JSON: ${(error as Error).message}`)
  }
}

/** `GET /v2/apps` (with its embeds): every app listed, as the planner sees it; throws UnreadableAnswer. */
export const decodeAppList = (text: string): Array<ObservedApp> => {
  const list = object(parse(text), "(answer)")
  return each(array(list.apps, "apps"), "apps", observedAppOf)
}

/** `GET /v2/apps/{id}`: the app, as the planner sees it; throws UnreadableAnswer. */
export const decodeAppEnvelope = (text: string): ObservedApp => observedAppOf(object(parse(text), "(answer)").app, "app")
