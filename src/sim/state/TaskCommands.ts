// Task kills (spec §1.10, §1.12): without `scale` the tasks are killed and relaunched (no
// deployment); with `scale` the app's instances drop by the number of matched tasks and one
// ScaleApplication deployment kills exactly those. The answers show tasks as they were when the
// kill was asked for.
import type { AppDef } from "../apps/AppDef.ts"
import type { Draft } from "../apps/AppNormalizer.ts"
import { isObject, type Json } from "../apps/Shape.ts"
import type { AppChange } from "../deploy/Plan.ts"
import { canonical, parent } from "../ids/PathId.ts"
import { parseTaskId } from "../ids/TaskId.ts"
import { isActive, type Instance } from "../tasks/Instance.ts"
import type { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import { taskObject } from "../views/TaskView.ts"
import { ApiError, appNotFound, invalidJson, notFound } from "./ApiError.ts"
import type { SimContext } from "./SimContext.ts"
import type { CommitResult, Writes } from "./Writes.ts"

export interface KillOptions {
  readonly scale: boolean
  readonly wipe: boolean
  readonly force: boolean
}

export type KillResult =
  | { readonly _tag: "Killed"; readonly tasks: ReadonlyArray<Record<string, unknown>> }
  | { readonly _tag: "Scaled"; readonly result: CommitResult }

const checkFlags = (o: KillOptions) => {
  if (o.scale && o.wipe) throw new ApiError(400, { message: "You cannot use scale and wipe at the same time." })
}

export class TaskCommands {
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle
  private readonly writes: Writes

  constructor(ctx: SimContext, tasks: TaskLifecycle, writes: Writes) {
    this.ctx = ctx
    this.tasks = tasks
    this.writes = writes
  }

  /** DELETE /v2/apps/{id}/tasks[?host=]. */
  killApp(pathId: string, host: string | undefined, o: KillOptions): KillResult {
    checkFlags(o)
    const id = canonical(pathId)
    if (!this.ctx.apps.has(id)) throw appNotFound(id)
    const matched = [...this.ctx.instancesOf(id)].filter(
      (i) => isActive(i.state) && (host === undefined || host === "*" || i.agent?.host === host)
    )
    return this.kill(matched, o, id)
  }

  /** DELETE /v2/apps/{id}/tasks/{taskId}. */
  killOne(pathId: string, taskId: string, o: KillOptions): KillResult {
    checkFlags(o)
    const id = canonical(pathId)
    if (!this.ctx.apps.has(id)) throw appNotFound(id)
    const parsed = parseTaskId(taskId)
    if (parsed._tag === "BadUuid") throw new ApiError(422, { message: `Invalid UUID string: ${parsed.tail}` })
    const inst = parsed._tag === "Parsed" ? this.ctx.instances.get(parsed.instanceId) : undefined
    if (inst === undefined || inst.appId !== id || inst.state === undefined) throw notFound(`Task '${taskId}' does not exist`)
    return this.kill([inst], o, id)
  }

  /** POST /v2/tasks/delete {"ids": [...]}: unknown ids are ignored. */
  killByIds(body: Json, o: KillOptions): KillResult {
    checkFlags(o)
    const ids = isObject(body) ? body["ids"] : undefined
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== "string")) {
      throw invalidJson([{ path: "/ids", errors: [Array.isArray(ids) ? "error.expected.jsstring" : "error.path.missing"] }])
    }
    const matched: Array<Instance> = []
    for (const raw of ids as ReadonlyArray<string>) {
      const parsed = parseTaskId(raw)
      if (parsed._tag === "Invalid") throw new ApiError(400, { message: `Invalid task id '${raw}'. [taskId ${raw} no valid identifier]` })
      if (parsed._tag === "BadUuid") throw new ApiError(422, { message: `Invalid UUID string: ${parsed.tail}` })
      const inst = this.ctx.instances.get(parsed.instanceId)
      if (inst !== undefined && isActive(inst.state) && this.ctx.apps.has(inst.appId) && !matched.includes(inst)) matched.push(inst)
    }
    return this.kill(matched, o, undefined)
  }

  private kill(matched: ReadonlyArray<Instance>, o: KillOptions, appId: string | undefined): KillResult {
    if (!o.scale) {
      const shown = matched.map(taskObject)
      for (const i of matched) {
        if (o.wipe) {
          this.tasks.decommission(i)
          const app = this.ctx.apps.get(i.appId)
          if (app !== undefined) this.tasks.schedule(app)
        } else {
          this.tasks.kill(i)
        }
      }
      return { _tag: "Killed", tasks: shown }
    }
    if (appId !== undefined && ![...this.ctx.instancesOf(appId)].some((i) => i.goal === "Running")) {
      throw notFound(`Path '${appId}' does not exist`)
    }
    const byApp = new Map<string, Array<string>>()
    for (const i of matched) {
      if (i.state === "TASK_KILLING") continue
      byApp.set(i.appId, [...(byApp.get(i.appId) ?? []), i.instanceId])
    }
    const version = this.writes.nextVersion()
    const changes: Array<AppChange> = []
    for (const [id, killed] of byApp) {
      const before = this.ctx.apps.get(id)!.def
      const draft = { ...before, instances: Math.max(0, before.instances - killed.length) } as Draft
      changes.push({ id, before, after: this.writes.versioned(draft, before, version) as AppDef })
    }
    const groupId = byApp.size === 1 ? parent([...byApp.keys()][0]!) : "/"
    return { _tag: "Scaled", result: this.writes.commit(changes, { force: o.force, version, groupId, killFirst: byApp }) }
  }
}
