// AppInfo JSON (spec §1.1, §3.2; types/app.raml AppInfo): the stored definition followed by the
// task counts, the running deployments and whatever was embedded. The definition's JSON text is
// cached per stored version and spliced, so a 10,000-app list does not re-serialise definitions.
import type { AppDef } from "../apps/AppDef.ts"
import type { Deployments } from "../deploy/Deployments.ts"
import type { AppRecord, SimContext } from "../state/SimContext.ts"
import { isActive, isHealthy, isUnhealthy, type Instance } from "../tasks/Instance.ts"
import { readinessJson } from "./DeploymentView.ts"
import type { Embeds } from "./Embeds.ts"
import { isListed, taskJson } from "./TaskView.ts"

const defText = new WeakMap<AppDef, string>()

/** The definition's JSON without its closing brace, ready for more fields. */
export const defOpen = (def: AppDef): string => {
  let text = defText.get(def)
  if (text === undefined) {
    text = JSON.stringify(def).slice(0, -1)
    defText.set(def, text)
  }
  return text
}

export interface Counts {
  staged: number
  running: number
  healthy: number
  unhealthy: number
}

/** TaskCounts (spec §3.2): instances that have a task; STARTING counts as neither. */
export const countTasks = (instances: Iterable<Instance>): Counts => {
  const c: Counts = { staged: 0, running: 0, healthy: 0, unhealthy: 0 }
  for (const i of instances) {
    if (i.state === undefined) continue
    if (i.state === "TASK_RUNNING") c.running++
    else if (i.state === "TASK_STAGING") c.staged++
    if (isHealthy(i)) c.healthy++
    if (isUnhealthy(i)) c.unhealthy++
  }
  return c
}

const lifeTime = (instances: ReadonlyArray<Instance>, now: number) => {
  const ages = instances.filter((i) => i.startedAt !== undefined && isActive(i.state)).map((i) => (now - i.startedAt!) / 1000).sort((
    a,
    b
  ) => a - b)
  if (ages.length === 0) return undefined
  const mid = Math.floor(ages.length / 2)
  const median = ages.length % 2 === 1 ? ages[mid]! : (ages[mid - 1]! + ages[mid]!) / 2
  return { averageSeconds: ages.reduce((a, b) => a + b, 0) / ages.length, medianSeconds: median }
}

const stats = (instances: ReadonlyArray<Instance>, now: number) => {
  const c = countTasks(instances)
  const life = lifeTime(instances, now)
  return { stats: { counts: { ...c }, ...(life === undefined ? {} : { lifeTime: life }) } }
}

export class AppViews {
  private readonly ctx: SimContext
  private readonly deployments: Deployments

  constructor(ctx: SimContext, deployments: Deployments) {
    this.ctx = ctx
    this.deployments = deployments
  }

  /** The 201 answer to a create: the new definition without versionInfo, counts, deployments. */
  created(record: AppRecord): string {
    const def: Record<string, unknown> = {}
    for (const k in record.def) if (k !== "versionInfo") def[k] = record.def[k]
    return this.appInfo(
      record,
      { tasks: false, readiness: false, lastTaskFailure: false, taskStats: false },
      JSON.stringify(def).slice(0, -1)
    )
  }

  /** One AppInfo as JSON text. */
  appInfo(record: AppRecord, embeds: Embeds, open = defOpen(record.def)): string {
    const parts: Array<string> = []
    this.writeAppInfo(record, embeds, (f) => void parts.push(f), open)
    return parts.join("")
  }

  /**
   * One AppInfo as JSON fragments. Lists write these straight out: the cached definition and
   * task texts are passed through, never concatenated into one string per app.
   */
  writeAppInfo(record: AppRecord, embeds: Embeds, write: (fragment: string) => void, open = defOpen(record.def)): void {
    const instances = this.ctx.instancesOf(record.id)
    const c = countTasks(instances)
    write(open)
    const deployments = this.deployments.forApp(record.id)
    const ids = deployments.length === 0 ? "[]" : JSON.stringify(deployments.map((id) => ({ id })))
    write(
      `,"tasksStaged":${c.staged},"tasksRunning":${c.running},"tasksHealthy":${c.healthy},"tasksUnhealthy":${c.unhealthy},"deployments":${ids}`
    )
    if (embeds.readiness) {
      const results = this.deployments.list().flatMap((d) =>
        d.runs.filter((r) => r.appId === record.id).flatMap((r) => r.readiness().map(readinessJson))
      )
      write(`,"readinessCheckResults":${JSON.stringify(results)}`)
    }
    if (embeds.tasks) {
      let first = true
      write(",\"tasks\":[")
      for (const i of instances) {
        if (!isListed(i)) continue
        if (!first) write(",")
        first = false
        write(taskJson(i, true))
      }
      write("]")
    }
    if (embeds.lastTaskFailure && record.lastTaskFailure !== undefined) {
      write(`,"lastTaskFailure":${JSON.stringify(record.lastTaskFailure)}`)
    }
    if (embeds.taskStats) write(`,"tasksStats":${JSON.stringify(this.taskStats(record, [...instances]))}`)
    write("}")
  }

  private taskStats(record: AppRecord, instances: ReadonlyArray<Instance>) {
    const now = this.ctx.now()
    const listed = instances.filter(isListed)
    const latest = listed.filter((i) => i.def.versionInfo.lastConfigChangeAt === record.def.versionInfo.lastConfigChangeAt)
    const outdated = listed.filter((i) => !latest.includes(i))
    const scaling = Date.parse(record.def.versionInfo.lastScalingAt)
    const afterScaling = listed.filter((i) => i.stagedAt >= scaling)
    const out: Record<string, unknown> = {}
    if (afterScaling.length > 0) out["startedAfterLastScaling"] = stats(afterScaling, now)
    if (latest.length > 0) out["withLatestConfig"] = stats(latest, now)
    if (outdated.length > 0) out["withOutdatedConfig"] = stats(outdated, now)
    if (listed.length > 0) out["totalSummary"] = stats(listed, now)
    return out
  }
}
