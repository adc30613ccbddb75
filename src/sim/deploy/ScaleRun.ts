// ScaleApplication (spec §4.3, §4.4): scale up by launching the missing instances and finish
// when they are all up (running, healthy, ready); scale down by killing the chosen instances and
// finish when they are terminal. Named instances (kill-and-scale) are killed first.
import type { SimContext } from "../state/SimContext.ts"
import type { Instance } from "../tasks/Instance.ts"
import { isActive } from "../tasks/Instance.ts"
import type { ReadinessPoller } from "../tasks/ReadinessPoller.ts"
import type { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import type { ActionRun, ReadinessView } from "./Deployment.ts"
import { isUp, killOrder } from "./Progress.ts"

export class ScaleRun implements ActionRun {
  readonly action = "ScaleApplication"
  readonly appId: string
  done = false
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle
  private readonly readinessPoller: ReadinessPoller
  private readonly named: ReadonlySet<string>
  private readonly launched = new Set<Instance>()
  private readonly killing = new Set<Instance>()

  constructor(ctx: SimContext, tasks: TaskLifecycle, readiness: ReadinessPoller, appId: string, named: ReadonlyArray<string>) {
    this.ctx = ctx
    this.tasks = tasks
    this.readinessPoller = readiness
    this.appId = appId
    this.named = new Set(named)
  }

  start(): void {
    const app = this.ctx.apps.get(this.appId)
    if (app !== undefined) {
      const target = app.def.instances
      const live = [...this.ctx.instancesOf(this.appId)].filter((i) => i.goal === "Running")
      if (live.length < target) {
        for (let n = live.length; n < target; n++) this.launched.add(this.tasks.schedule(app))
      } else if (live.length > target || this.named.size > 0) {
        const surplus = Math.max(live.length - target, 0)
        for (const victim of killOrder(live, this.named, app.def.killSelection).slice(0, surplus)) {
          this.killing.add(victim)
          this.tasks.decommission(victim)
        }
      }
    }
    this.update()
  }

  update(): void {
    let pending = false
    for (const i of this.launched) {
      if (i.goal !== "Running" || !this.ctx.instances.has(i.instanceId)) {
        this.launched.delete(i)
        continue
      }
      this.readinessPoller.watch(i)
      if (!isUp(i)) pending = true
    }
    for (const i of this.killing) {
      if (this.ctx.instances.has(i.instanceId) && isActive(i.state)) pending = true
    }
    this.done = !pending
  }

  cancel(): void {}

  readiness(): ReadonlyArray<ReadinessView> {
    return readinessOf(this.launched)
  }
}

export const readinessOf = (instances: Iterable<Instance>): Array<ReadinessView> => {
  const out: Array<ReadinessView> = []
  for (const i of instances) if (i.readiness !== undefined) out.push({ taskId: i.taskId, result: i.readiness })
  return out
}
