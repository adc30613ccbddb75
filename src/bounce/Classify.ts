// Task classification (paasta-behaviour.md §4.1): each task is happy, unhappy, draining or at risk.
// Pure and synchronous: the clock comes in as `now`, drain-backend answers come in as data
// (DrainState). Must not decide what to do with a task; that is the planners' and Plan's job.
import { DateTime } from "effect"
import type { DrainState } from "../plan/DrainState.ts"
import type { ObservedApp, ObservedTask } from "../plan/Observed.ts"

export type Bucket = "happy" | "unhappy" | "draining" | "atRisk"

export interface ClassifyContext {
  readonly now: DateTime.Utc
  readonly minTaskUptimeSeconds: number
  readonly drainingHosts: ReadonlySet<string>
  readonly drain: DrainState
}

/** Marathon sets startedAt once the task reached TASK_RUNNING; staging tasks are never happy. */
export const isStarted = (task: ObservedTask): boolean => task.startedAt !== undefined && task.state === "TASK_RUNNING"

/** Age on the planner's clock when known (runningSince), else by Marathon's startedAt; never negative. */
const secondsSinceStart = (task: ObservedTask, now: DateTime.Utc): number => {
  const since = task.runningSince ?? task.startedAt
  return since === undefined ? 0 : Math.max(0, (DateTime.toEpochMillis(now) - DateTime.toEpochMillis(since)) / 1000)
}

/**
 * Marathon forgets health results after a leader election: a task with checks but no results that
 * started longer than grace + 5 × interval ago is trusted rather than treated as unhealthy.
 */
export const isOldTaskMissingHealth = (task: ObservedTask, app: ObservedApp, now: DateTime.Utc): boolean => {
  const check = app.healthCheck
  if (check === undefined || task.healthCheckResults.length > 0 || !isStarted(task)) return false
  return secondsSinceStart(task, now) > check.gracePeriodSeconds + 5 * check.intervalSeconds
}

/** Started, old enough, and (when the app has checks) at least one passing result — any-of, not all-of. */
export const isHappy = (task: ObservedTask, app: ObservedApp, now: DateTime.Utc, minTaskUptimeSeconds: number): boolean => {
  if (!isStarted(task)) return false
  if (minTaskUptimeSeconds > 0 && secondsSinceStart(task, now) < minTaskUptimeSeconds) return false
  if (task.healthCheckResults.length === 0) {
    return app.healthCheck === undefined || isOldTaskMissingHealth(task, app, now)
  }
  return task.healthCheckResults.some((result) => result.alive)
}

/** The drain method's answer; without one (not asked) a drain record counts as draining. */
export const drainingAnswer = (task: ObservedTask, drain: DrainState): boolean | "error" =>
  drain.answers.get(task.id)?.draining ?? drain.records.has(task.id)

/**
 * Draining wins over everything; an is_draining error makes the task unhappy (never killed for
 * it); a happy task on a maintenance host is at risk; an unhappy one stays unhappy.
 */
export const classifyTask = (task: ObservedTask, app: ObservedApp, context: ClassifyContext): Bucket => {
  const draining = drainingAnswer(task, context.drain)
  if (draining === "error") return "unhappy"
  if (draining) return "draining"
  if (!isHappy(task, app, context.now, context.minTaskUptimeSeconds)) return "unhappy"
  return context.drainingHosts.has(task.host) ? "atRisk" : "happy"
}
