// The emulator's state model, assembled: context, task lifecycle, checks, deployments, the write
// path and the views. Synchronous and deterministic (time comes from the injected clock); the
// HTTP layer only parses requests and calls into this.
import { ServicePorts } from "../apps/ServicePorts.ts"
import { Deployments } from "../deploy/Deployments.ts"
import { canonical } from "../ids/PathId.ts"
import type { SimOptions } from "../SimOptions.ts"
import { HealthChecker } from "../tasks/HealthChecker.ts"
import { ReadinessPoller } from "../tasks/ReadinessPoller.ts"
import { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import { isTerminal } from "../tasks/Instance.ts"
import { AppViews } from "../views/AppView.ts"
import { ListViews } from "../views/ListViews.ts"
import { ApiError } from "./ApiError.ts"
import { AppCommands } from "./AppCommands.ts"
import { GroupCommands } from "./GroupCommands.ts"
import { GroupIndex } from "./GroupIndex.ts"
import { SimContext } from "./SimContext.ts"
import { TaskCommands } from "./TaskCommands.ts"
import { Writes, type CommitResult } from "./Writes.ts"

export class Sim {
  readonly ctx: SimContext
  readonly tasks: TaskLifecycle
  readonly health: HealthChecker
  readonly readiness: ReadinessPoller
  readonly deployments: Deployments
  readonly groups = new GroupIndex()
  readonly writes: Writes
  readonly apps: AppCommands
  readonly kills: TaskCommands
  readonly groupWrites: GroupCommands
  readonly appViews: AppViews
  readonly lists: ListViews

  constructor(options: SimOptions) {
    this.ctx = new SimContext(options)
    this.tasks = new TaskLifecycle(this.ctx)
    this.health = new HealthChecker(this.ctx, this.tasks)
    this.readiness = new ReadinessPoller(this.ctx)
    this.deployments = new Deployments(this.ctx, this.tasks, this.readiness)
    this.writes = new Writes(this.ctx, this.deployments, new ServicePorts(), this.groups)
    this.apps = new AppCommands(this.ctx, this.writes)
    this.kills = new TaskCommands(this.ctx, this.tasks, this.writes)
    this.groupWrites = new GroupCommands(this.ctx, this.writes, this.apps)
    this.appViews = new AppViews(this.ctx, this.deployments)
    this.lists = new ListViews(this.ctx, this.appViews, this.deployments, this.groups)
    this.ctx.onChange = (appId) => this.deployments.notify(appId)
    this.tasks.checks = { start: (i) => this.health.start(i), stop: (i) => this.health.stop(i) }
  }

  /**
   * DELETE /v2/deployments/{id} (spec §1.14): with force the deployment is only cancelled;
   * without, a forced revert deployment restores what it changed.
   */
  cancelDeployment(id: string, force: boolean): CommitResult | undefined {
    const d = this.deployments.get(id)
    if (d === undefined) throw new ApiError(404, { message: `DeploymentPlan ${id} does not exist` })
    this.deployments.cancel(d, "The upgrade has been cancelled")
    if (force) return undefined
    const changes = [...d.original].flatMap(([appId, original]) => {
      const before = this.ctx.apps.get(appId)?.def
      return before === original ? [] : [{ id: appId, before, after: original }]
    })
    return this.writes.commit(changes, { force: true, version: this.writes.nextVersion(), groupId: "/" })
  }

  /** DELETE /v2/queue/{id}/delay: clears the launch delay and launches what waits (204). */
  resetDelay(pathId: string): void {
    const id = canonical(pathId)
    const app = this.ctx.apps.get(id)
    const waiting = [...this.ctx.instancesOf(id)].filter((i) => i.goal === "Running" && (i.state === undefined || isTerminal(i.state)))
    if (app === undefined || waiting.length === 0) throw new ApiError(404, { message: `Application ${id} not found in tasks queue.` })
    app.backoff = undefined
    for (const i of waiting) this.tasks.tryLaunch(i)
  }

  close(): void {
    this.ctx.clock.dispose()
  }
}
