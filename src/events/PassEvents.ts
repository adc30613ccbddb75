// The events one pass is worth, decided from what it did and how status moved: the actions it
// carried out (in order, up to where it stopped) and the transitions a person wants to hear of —
// a rollout finished, a stall, a refused clean-up, an unusable spec. Pure.
import { revisionAnnotation } from "../domain/GitSource.ts"
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
      return {
        type: "Normal",
        reason: "TasksDraining",
        message: `draining ${tasksOf(action.tasks.length)} of ${action.appId} (${drainMethod})`
      }
    case "stopDraining":
      return { type: "Normal", reason: "TasksUndrained", message: `stopped draining ${tasksOf(action.tasks.length)} of ${action.appId}` }
    case "killTasks":
      return {
        type: "Normal",
        reason: "TasksKilled",
        message: `killed ${tasksOf(action.tasks.length)}: ${action.tasks.map((task) => task.id).join(", ")}`
      }
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

/** Adds what the spec says (labels, the GitSource revision) to the notes that carry a context. */
export const withSpecContext = (
  note: EventNote,
  metadata: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> } | undefined
): EventNote => {
  if (note.context === undefined || metadata === undefined) return note
  const revision = metadata.annotations?.[revisionAnnotation]
  return {
    ...note,
    context: {
      ...note.context,
      ...(metadata.labels === undefined || Object.keys(metadata.labels).length === 0 ? {} : { labels: metadata.labels }),
      ...(revision === undefined ? {} : { revision })
    }
  }
}

export const passEvents = (input: PassEventsInput): ReadonlyArray<EventNote> => {
  const { previous, next } = input
  const notes = input.done.map((action) => actionEvent(action, input.drainMethod))
  const entered = (phase: NonNullable<InstanceStatus["phase"]>) =>
    next.phase === phase && (previous?.phase !== phase || previous.observedGeneration !== next.observedGeneration)
  // The notifiable reasons carry the generation and app they are about (design.md §15).
  const context = {
    ...(next.observedGeneration === undefined ? {} : { generation: next.observedGeneration }),
    ...(next.appId === undefined ? {} : { appId: next.appId })
  }
  if (entered("Running") && next.observedGeneration !== undefined) {
    notes.push({
      type: "Normal",
      reason: "RolloutSucceeded",
      message: `generation ${next.observedGeneration} rolled out as ${next.appId ?? "-"}`,
      context
    })
  }
  if (entered("Stopped")) notes.push({ type: "Normal", reason: "Stopped", message: `generation ${next.observedGeneration ?? 0} stopped` })
  if (entered("Stalled")) {
    notes.push({ type: "Warning", reason: "Stalled", message: next.summary ?? "no progress before the deadline", context })
    // Stalled while the new app's tasks fail: the rollout itself failed, not just slowed down.
    const failure = next.lastTaskFailure
    if (failure !== undefined && failure.appId === next.appId) {
      notes.push({
        type: "Warning",
        reason: "RolloutFailed",
        message: `generation ${next.observedGeneration ?? 0}: tasks of ${failure.appId} fail (${failure.state}: ${failure.message})`,
        context
      })
    }
  }
  if (entered("CleanupRefused")) {
    notes.push({ type: "Warning", reason: "CleanupRefused", message: next.summary ?? "tear-down refused", context })
  }
  if (entered("Invalid")) notes.push({ type: "Warning", reason: "InvalidSpec", message: next.summary ?? "the stored spec cannot be used" })
  return notes
}
