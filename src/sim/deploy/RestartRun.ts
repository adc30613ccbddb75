// RestartApplication (spec §4.5, TaskReplaceActor): replace every instance that does not run the
// app's current config, honouring upgradeStrategy. N = instances, minHealthy = ceil(N × min),
// maxCapacity = floor(N × (1 + over)). Kill surplus old instances at once, start new ones while
// old + new stays within maxCapacity, and kill one old instance per new one that comes up.
import { isResident } from "../apps/AppDef.ts"
import type { AppRecord, SimContext } from "../state/SimContext.ts"
import type { Instance } from "../tasks/Instance.ts"
import { isActive } from "../tasks/Instance.ts"
import type { ReadinessPoller } from "../tasks/ReadinessPoller.ts"
import type { TaskLifecycle } from "../tasks/TaskLifecycle.ts"
import type { ActionRun, ReadinessView } from "./Deployment.ts"
import { countsAsHealthy, isUp, replaceOrder } from "./Progress.ts"
import { readinessOf } from "./ScaleRun.ts"

/** The restart arithmetic on its own: how many old instances to kill at once, and the cap. */
export const restartStrategy = (
  n: number,
  minimumHealthCapacity: number,
  maximumOverCapacity: number,
  healthyNow: number,
  oldCount: number,
  resident: boolean
) => {
  const minHealthy = Math.ceil(n * minimumHealthCapacity)
  let maxCapacity = Math.floor(n * (1 + maximumOverCapacity))
  let killNow = Math.max(0, healthyNow - minHealthy)
  if (minHealthy === maxCapacity && maxCapacity <= healthyNow) {
    if (resident) killNow = healthyNow - minHealthy + 1
    else maxCapacity += 1
  }
  killNow = Math.max(killNow, oldCount - n)
  return { killNow, maxCapacity }
}

export class RestartRun implements ActionRun {
  readonly action = "RestartApplication"
  readonly appId: string
  done = false
  private readonly ctx: SimContext
  private readonly tasks: TaskLifecycle
  private readonly readinessPoller: ReadinessPoller
  private maxCapacity = 0
  private config = ""
  private readonly upSeen = new Set<Instance>()

  constructor(ctx: SimContext, tasks: TaskLifecycle, readiness: ReadinessPoller, appId: string) {
    this.ctx = ctx
    this.tasks = tasks
    this.readinessPoller = readiness
    this.appId = appId
  }

  private isNew(i: Instance): boolean {
    return i.def.versionInfo.lastConfigChangeAt === this.config && i.state !== undefined
  }

  start(): void {
    const app = this.ctx.apps.get(this.appId)
    if (app === undefined) return this.update()
    this.config = app.def.versionInfo.lastConfigChangeAt
    const live = [...this.ctx.instancesOf(this.appId)].filter((i) => i.goal === "Running")
    // Old instances that have no running task are simply replaced: they would relaunch new anyway.
    for (const i of live) if (!this.isNew(i) && !isActive(i.state)) this.tasks.decommission(i)
    const old = live.filter((i) => !this.isNew(i) && isActive(i.state))
    const hasChecks = (app.def.healthChecks?.length ?? 0) > 0
    const healthyNow = hasChecks ? old.filter(countsAsHealthy).length : old.length
    const us = app.def.upgradeStrategy
    const { killNow, maxCapacity } = restartStrategy(
      app.def.instances,
      us.minimumHealthCapacity,
      us.maximumOverCapacity,
      healthyNow,
      old.length,
      isResident(app.def)
    )
    this.maxCapacity = maxCapacity
    for (const victim of replaceOrder(old, app.def.killSelection).slice(0, killNow)) this.tasks.decommission(victim)
    for (const i of live) if (this.isNew(i) && isUp(i)) this.upSeen.add(i)
    this.update()
  }

  update(): void {
    const app = this.ctx.apps.get(this.appId)
    if (app === undefined) {
      this.done = true
      return
    }
    const all = [...this.ctx.instancesOf(this.appId)]
    // Old instances that die out of band are not relaunched old: new ones take their place.
    for (const i of all) {
      if (i.goal === "Running" && !this.isNew(i) && i.state !== undefined && !isActive(i.state)) this.tasks.decommission(i)
    }
    const fresh = all.filter((i) => i.goal === "Running" && (this.isNew(i) || i.state === undefined))
    let oldRunning = all.filter((i) => i.goal === "Running" && !this.isNew(i) && isActive(i.state))
    for (const i of fresh) {
      this.readinessPoller.watch(i)
      if (!isUp(i) || this.upSeen.has(i)) continue
      this.upSeen.add(i)
      const victim = replaceOrder(oldRunning, app.def.killSelection)[0]
      if (victim !== undefined) {
        oldRunning = oldRunning.filter((o) => o !== victim)
        this.tasks.decommission(victim)
      }
    }
    this.launch(app, fresh.length)
    const oldActive = all.some((i) => !this.isNew(i) && isActive(i.state))
    this.done = !oldActive && fresh.filter(isUp).length >= app.def.instances
  }

  private launch(app: AppRecord, startedNew: number): void {
    const oldActive =
      [...this.ctx.instancesOf(this.appId)].filter((i) => !this.isNew(i) && i.state !== undefined && isActive(i.state)).length
    const toStart = Math.min(app.def.instances - startedNew, this.maxCapacity - oldActive - startedNew)
    for (let n = 0; n < toStart; n++) this.tasks.schedule(app)
  }

  cancel(): void {}

  readiness(): ReadonlyArray<ReadinessView> {
    return readinessOf([...this.ctx.instancesOf(this.appId)].filter((i) => this.isNew(i)))
  }
}
