// StopApplication (spec §1.7): every instance of the removed app is decommissioned and killed;
// the action finishes when none is left, and app_terminated_event follows.
import type { SimContext } from "../state/SimContext.ts"
import type { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import type { ActionRun, ReadinessView } from "./Deployment.ts"

export class StopRun implements ActionRun {
  readonly action = "StopApplication"
  readonly appId: string
  done = false
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle

  constructor(ctx: SimContext, tasks: TaskLifecycle, appId: string) {
    this.ctx = ctx
    this.tasks = tasks
    this.appId = appId
  }

  start(): void {
    for (const i of [...this.ctx.instancesOf(this.appId)]) this.tasks.decommission(i)
    this.update()
  }

  update(): void {
    // A re-created app of the same id may have instances again; only the old ones count.
    const done = [...this.ctx.instancesOf(this.appId)].every((i) => i.goal === "Running")
    if (done && !this.done) this.ctx.events.emit("app_terminated_event", () => ({ appId: this.appId }))
    this.done = done
  }

  cancel(): void {}

  readiness(): ReadonlyArray<ReadinessView> {
    return []
  }
}
