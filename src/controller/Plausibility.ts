// Pure checks of Marathon's answers against what mdeploy already knows (design.md §11). During a
// Marathon leader election or under load, a list can come back empty, shrunken, or with apps whose
// tasks are missing; acting on such an answer deletes healthy apps. An answer that fails a check
// is not acted upon: the pass is retried and the answer counted.
import type { ObservedApp } from "../plan/Observed.ts"

export type UntrustedReason = "app_without_tasks" | "list_shrunk"

export interface Implausible {
  readonly reason: UntrustedReason
  readonly message: string
}

/** An app whose own count of running tasks exceeds the running tasks listed with it. */
export const appAnswerProblem = (app: ObservedApp): Implausible | undefined => {
  if (app.tasksRunning === undefined) return undefined
  let running = 0
  for (const task of app.tasks) if (task.state === "TASK_RUNNING") running++
  return running < app.tasksRunning
    ? {
      reason: "app_without_tasks",
      message: `Marathon listed ${app.id} with ${running} running task(s) but tasksRunning=${app.tasksRunning}`
    }
    : undefined
}

export const appsAnswerProblem = (apps: ReadonlyArray<ObservedApp>): Implausible | undefined => {
  for (const app of apps) {
    const problem = appAnswerProblem(app)
    if (problem !== undefined) return problem
  }
  return undefined
}

/**
 * A full list that lost more than half of the apps the last good list had. mdeploy itself never
 * deletes that many at once (the deletion budget), so such a drop is believed only once it has
 * been seen `confirmations` times in a row.
 */
export const listShrinkProblem = (previousOwned: number, nextOwned: number): Implausible | undefined =>
  previousOwned >= 2 && nextOwned * 2 < previousOwned
    ? {
      reason: "list_shrunk",
      message: `Marathon listed ${nextOwned} of this installation's apps where the last good list had ${previousOwned}`
    }
    : undefined

/** Consecutive identical shrunken answers after which the drop is taken as real. */
export const shrinkConfirmations = 3
