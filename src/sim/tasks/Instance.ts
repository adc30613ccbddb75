// One Marathon instance and its current Mesos task (spec §3, §8): the task state machine's
// data. An instance lives until it is expunged; each relaunch gives its task a new id with the
// incarnation raised by one. Only TaskLifecycle changes these fields.
import type { AppDef } from "../apps/AppDef.ts"
import type { SimClock, TimerHandle } from "../clock/SimClock.ts"
import type { Agent } from "./Agents.ts"

export type TaskState =
  | "TASK_STAGING"
  | "TASK_STARTING"
  | "TASK_RUNNING"
  | "TASK_KILLING"
  | "TASK_KILLED"
  | "TASK_FINISHED"
  | "TASK_FAILED"
  | "TASK_ERROR"
  | "TASK_UNREACHABLE"
  | "TASK_GONE"
  | "TASK_DROPPED"
  | "TASK_UNKNOWN"
  | "TASK_LOST"

export const taskStates: ReadonlyArray<TaskState> = [
  "TASK_STAGING",
  "TASK_STARTING",
  "TASK_RUNNING",
  "TASK_KILLING",
  "TASK_KILLED",
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_ERROR",
  "TASK_UNREACHABLE",
  "TASK_GONE",
  "TASK_DROPPED",
  "TASK_UNKNOWN",
  "TASK_LOST"
]

const terminalStates: ReadonlySet<string> = new Set([
  "TASK_KILLED",
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_ERROR",
  "TASK_GONE",
  "TASK_DROPPED",
  "TASK_UNKNOWN",
  "TASK_LOST"
])

/** Terminal states that raise the launch delay (TASK_KILLED does not; spec §4.8). */
export const failureStates: ReadonlySet<string> = new Set([
  "TASK_FAILED",
  "TASK_ERROR",
  "TASK_FINISHED",
  "TASK_GONE",
  "TASK_DROPPED",
  "TASK_LOST"
])

/** Terminal states recorded as the app's lastTaskFailure. */
export const recordedFailures: ReadonlySet<string> = new Set([
  "TASK_FAILED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_UNKNOWN"
])

export const isTerminal = (s: TaskState | undefined): boolean => s !== undefined && terminalStates.has(s)

/** A task that exists and is not terminal (KILLING and UNREACHABLE included). */
export const isActive = (s: TaskState | undefined): boolean => s !== undefined && !terminalStates.has(s)

export type Goal = "Running" | "Stopped" | "Decommissioned"

export interface HealthResult {
  alive: boolean
  consecutiveFailures: number
  firstSuccess: number | undefined
  lastSuccess: number | undefined
  lastFailure: number | undefined
  lastFailureCause: string | undefined
}

export interface ReadinessResult {
  readonly name: string
  readonly ready: boolean
  readonly lastResponse: { readonly status: number; readonly contentType: string; readonly body: string } | undefined
}

export interface Instance {
  readonly instanceId: string
  readonly appId: string
  incarnation: number
  taskId: string
  /** undefined while the instance is only scheduled (no task yet: not listed, counted in the queue). */
  state: TaskState | undefined
  goal: Goal
  /** The definition the current task was launched with. */
  def: AppDef
  agent: Agent | undefined
  hostPorts: ReadonlyArray<number>
  stagedAt: number
  startedAt: number | undefined
  stateSince: number
  message: string
  /** One result per health check, once the first result arrived. */
  health: Array<HealthResult | undefined> | undefined
  healthOverride: boolean | undefined
  healthTicks: number
  ready: boolean
  readiness: ReadinessResult | undefined
  /** Pending transitions of the current task; cancelled on every state change. */
  timers: Array<TimerHandle>
  /** Health-check and readiness poll timers. */
  checkTimers: Array<TimerHandle>
  queuedSince: number | undefined
  /** Cached task JSON, cleared whenever anything it shows changes. */
  json: string | undefined
  /**
   * How far the reported stagedAt/startedAt read from the emulator's own clock (ms): a Marathon whose
   * clock is off. Only what clients see moves; the emulator's own timing does not.
   */
  reportSkewMs?: number
}

/** Whether every health result is alive (false when there is no result yet). */
export const isHealthy = (i: Instance): boolean =>
  i.health !== undefined && i.health.length > 0 && i.health.every((h) => h !== undefined && h.alive)

export const isUnhealthy = (i: Instance): boolean => i.health !== undefined && i.health.some((h) => h !== undefined && !h.alive)

type TimerKey = "timers" | "checkTimers"

/**
 * Schedules `run` for an instance and keeps its handle only while it is pending, so a
 * long-running task holds no fired timers (30,000 tasks must stay small).
 */
export const scheduleFor = (clock: SimClock, inst: Instance, key: TimerKey, ms: number, run: () => void): void => {
  const handle = clock.schedule(ms, () => {
    const list = inst[key]
    const i = list.indexOf(handle)
    if (list.length === 1 && i === 0) inst[key] = []
    else if (i >= 0) list.splice(i, 1)
    run()
  })
  inst[key].push(handle)
}

export const cancelFor = (inst: Instance, key: TimerKey): void => {
  if (inst[key].length === 0) return
  for (const t of inst[key]) t.cancel()
  inst[key] = []
}
