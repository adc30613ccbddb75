// How the tasks of an app behave (design.md §7 `PUT /__sim/apps/{id}/behaviour`): health
// (healthy after n s, never, flapping, silent), readiness, crashes and stuck launches. Without
// scripting, tasks start and pass their checks after the configured short delays; an app
// labelled MDEPLOY_SIM_HEALTH=never never becomes healthy.
import { isObject, type Json, type JsonObject } from "../apps/Shape.ts"
import type { TaskState } from "./Instance.ts"

export type HealthMode = "healthy" | "never" | "flapping" | "silent"

export interface Crash {
  /** Seconds after the task reached TASK_RUNNING (or after staging, with `beforeRunning`). */
  readonly afterSeconds: number
  readonly state: TaskState
  readonly message: string
  readonly beforeRunning: boolean
}

export interface Behaviour {
  readonly health: HealthMode
  /** Checks fail until this long after TASK_RUNNING; undefined = the emulator default. */
  readonly healthyAfterSeconds: number | undefined
  readonly ready: "ready" | "never"
  readonly readyAfterSeconds: number
  readonly crash: Crash | undefined
  readonly stuck: "staging" | "starting" | undefined
}

export const defaultBehaviour: Behaviour = {
  health: "healthy",
  healthyAfterSeconds: undefined,
  ready: "ready",
  readyAfterSeconds: 0,
  crash: undefined,
  stuck: undefined
}

const terminal = ["TASK_FAILED", "TASK_FINISHED", "TASK_ERROR", "TASK_GONE", "TASK_DROPPED", "TASK_KILLED", "TASK_LOST"]

/** Parses the admin body; returns an error message for a malformed one. */
export const parseBehaviour = (body: Json): Behaviour | string => {
  if (!isObject(body)) return "behaviour must be a JSON object"
  const health = body["health"] ?? "healthy"
  if (health !== "healthy" && health !== "never" && health !== "flapping" && health !== "silent") {
    return "health must be one of healthy, never, flapping, silent"
  }
  const num = (k: string): number | undefined | string => {
    const v = body[k]
    if (v === undefined || v === null) return undefined
    return typeof v === "number" && v >= 0 ? v : `${k} must be a number >= 0`
  }
  const healthyAfter = num("healthyAfterSeconds")
  const readyAfter = num("readyAfterSeconds")
  if (typeof healthyAfter === "string") return healthyAfter
  if (typeof readyAfter === "string") return readyAfter
  const ready = body["ready"] ?? "ready"
  if (ready !== "ready" && ready !== "never") return "ready must be ready or never"
  const stuck = body["stuck"] ?? undefined
  if (stuck !== undefined && stuck !== "staging" && stuck !== "starting") return "stuck must be staging or starting"
  let crash: Crash | undefined
  const c = body["crash"]
  if (c !== undefined && c !== null && c !== false) {
    const spec: JsonObject = c === true ? {} : isObject(c) ? c : { afterSeconds: c }
    const after = spec["afterSeconds"] ?? 0
    const state = spec["state"] ?? "TASK_FAILED"
    if (typeof after !== "number" || after < 0) return "crash.afterSeconds must be a number >= 0"
    if (typeof state !== "string" || !terminal.includes(state)) return `crash.state must be one of ${terminal.join(", ")}`
    crash = {
      afterSeconds: after,
      state: state as TaskState,
      message: typeof spec["message"] === "string" ? spec["message"] : "Command exited with status 1",
      beforeRunning: spec["beforeRunning"] === true
    }
  }
  return { health, healthyAfterSeconds: healthyAfter, ready, readyAfterSeconds: readyAfter ?? 0, crash, stuck }
}

export const behaviourJson = (b: Behaviour): JsonObject => {
  const out: Record<string, Json> = { health: b.health, ready: b.ready, readyAfterSeconds: b.readyAfterSeconds }
  if (b.healthyAfterSeconds !== undefined) out["healthyAfterSeconds"] = b.healthyAfterSeconds
  if (b.stuck !== undefined) out["stuck"] = b.stuck
  if (b.crash !== undefined) out["crash"] = { ...b.crash }
  return out
}

/** The behaviour for an app: scripted, else from its labels, else the default. */
export const resolveBehaviour = (scripted: Behaviour | undefined, labels: Readonly<Record<string, string>>): Behaviour => {
  if (scripted !== undefined) return scripted
  const label = labels["MDEPLOY_SIM_HEALTH"]
  if (label === "never" || label === "flapping" || label === "silent") return { ...defaultBehaviour, health: label }
  return defaultBehaviour
}
