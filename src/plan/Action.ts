// The actions of a Plan (design.md §5, CONTRACT for their JSON form): createApp, scaleApp,
// drainTasks, stopDraining, killTasks, deleteApp, in the order they are executed. In memory an
// action carries what the Executor needs (the app definition, the tasks' hosts and ports);
// `Plan.toDocument` reduces them to the contract's fields.
import type { AppDefinition } from "../domain/AppDefinition.ts"
import type { ObservedTask } from "./Observed.ts"

/** What a drain backend or a kill needs to know about a task. */
export interface TaskRef {
  readonly id: string
  readonly appId: string
  /** The Marathon shard of the task's app; absent: the default shard. */
  readonly shard?: string
  readonly host: string
  readonly ports: ReadonlyArray<number>
  readonly state: string
}

export const taskRef = (task: ObservedTask, shard?: string): TaskRef => ({
  id: task.id,
  appId: task.appId,
  ...(shard === undefined ? {} : { shard }),
  host: task.host,
  ports: task.ports,
  state: task.state
})

export type ScaleReason = "slack" | "scaleUp" | "atRiskSurge"

/** `shard` (absent: the default shard) names the Marathon shard the executor sends the write to. */
export type Action =
  | { readonly type: "createApp"; readonly appId: string; readonly shard?: string; readonly definition: AppDefinition }
  | {
    readonly type: "scaleApp"
    readonly appId: string
    readonly shard?: string
    readonly instances: number
    readonly reason: ScaleReason
  }
  | { readonly type: "drainTasks"; readonly appId: string; readonly shard?: string; readonly tasks: ReadonlyArray<TaskRef> }
  | { readonly type: "stopDraining"; readonly appId: string; readonly shard?: string; readonly tasks: ReadonlyArray<TaskRef> }
  | { readonly type: "killTasks"; readonly tasks: ReadonlyArray<TaskRef>; readonly scale: true }
  | { readonly type: "deleteApp"; readonly appId: string; readonly shard?: string }

export type ActionType = Action["type"]

/** The JSON form of an action (design.md §5). */
/** `shard` appears only on an installation with shards (never for the default shard). */
export type ActionDocument =
  | { readonly type: "createApp"; readonly appId: string; readonly shard?: string }
  | { readonly type: "scaleApp"; readonly appId: string; readonly shard?: string; readonly instances: number }
  | { readonly type: "drainTasks" | "stopDraining"; readonly taskIds: ReadonlyArray<string> }
  | { readonly type: "killTasks"; readonly taskIds: ReadonlyArray<string>; readonly scale: true }
  | { readonly type: "deleteApp"; readonly appId: string; readonly shard?: string }

const shardField = (shard: string | undefined) => shard === undefined ? {} : { shard }

export const toActionDocument = (action: Action): ActionDocument => {
  switch (action.type) {
    case "createApp":
    case "deleteApp":
      return { type: action.type, appId: action.appId, ...shardField(action.shard) }
    case "scaleApp":
      return { type: action.type, appId: action.appId, ...shardField(action.shard), instances: action.instances }
    case "drainTasks":
    case "stopDraining":
      return { type: action.type, taskIds: action.tasks.map((task) => task.id) }
    case "killTasks":
      return { type: action.type, taskIds: action.tasks.map((task) => task.id), scale: true }
  }
}
