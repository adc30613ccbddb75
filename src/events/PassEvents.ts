// The events one pass is worth, decided from what it did and how status moved: the actions it
// carried out (in order, up to where it stopped) and the transitions a person wants to hear of —
// a rollout finished, a stall, a refused clean-up, an unusable spec. Pure.
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import type { Action } from "../plan/Action.ts"
import type { EventNote } from "./InstanceEvent.ts"

const tasksOf = (count: number) => `${count} task${count === 1 ? "" : "s"}`

const actionEvent = (action: Action, drainMethod: string): EventNote => {
  switch (action.type) {
    case "createApp":
      return { type: "Normal", reason: "AppCreated", message: `created ${action.appId}` }
    case "scaleApp":
      return { type: "Normal", reason: "AppScaled", message: `scaled ${action.appId} to ${action.instances} (${action.reason})` }
    case "drainTasks":
      return { type: "Normal", reason: "TasksDraining", message: `draining ${tasksOf(action.tasks.length)} of ${action.appId} (${drainMethod})` }
    case "stopDraining":
      return { type: "Normal", reason: "TasksUndrained", message: `stopped draining ${tasksOf(action.tasks.length)} of ${action.appId}` }
    case "killTasks":
      return { type: "Normal", reason: "TasksKilled", message: `killed ${tasksOf(action.tasks.length)}: ${action.tasks.map((task) => task.id).join(", ")}` }
    case "deleteApp":
      return { type: "Normal", reason: "AppDeleted", message: `deleted ${action.appId}` }
  }
}

export interface PassEventsInput {
  readonly previous: InstanceStatus | undefined
  readonly next: InstanceStatus
  /** The actions carried out, in plan order. */
  readonly done: ReadonlyArray<Action>
  readonly drainMethod: string
}

export const passEvents = (input: PassEventsInput): ReadonlyArray<EventNote> => {
  const { previous, next } = input
  const notes = input.done.map((action) => actionEvent(action, input.drainMethod))
  const entered = (phase: NonNullable<InstanceStatus["phase"]>) =>
    next.phase === phase && (previous?.phase !== phase || previous.observedGeneration !== next.observedGeneration)
  if (entered("Running") && next.observedGeneration !== undefined) {
    notes.push({ type: "Normal", reason: "RolloutSucceeded", message: `generation ${next.observedGeneration} rolled out as ${next.appId ?? "-"}` })
  }
  if (entered("Stopped")) notes.push({ type: "Normal", reason: "Stopped", message: `generation ${next.observedGeneration ?? 0} stopped` })
  if (entered("Stalled")) notes.push({ type: "Warning", reason: "Stalled", message: next.summary ?? "no progress before the deadline" })
  if (entered("CleanupRefused")) notes.push({ type: "Warning", reason: "CleanupRefused", message: next.summary ?? "tear-down refused" })
  if (entered("Invalid")) notes.push({ type: "Warning", reason: "InvalidSpec", message: next.summary ?? "the stored spec cannot be used" })
  return notes
}
