// The read endpoints' bodies that span many apps: app lists with filters, groups, tasks, the
// launch queue and deployments. All return JSON text.
import type { AppDef } from "../apps/AppDef.ts"
import { parseSelector, SelectorParseError } from "../apps/LabelSelector.ts"
import type { Deployments } from "../deploy/Deployments.ts"
import { isUnder, parent } from "../ids/PathId.ts"
import { iso } from "../ids/Timestamp.ts"
import { ApiError } from "../state/ApiError.ts"
import type { GroupIndex } from "../state/GroupIndex.ts"
import type { AppRecord, SimContext } from "../state/SimContext.ts"
import { timeLeft } from "../tasks/Backoff.ts"
import { isTerminal } from "../tasks/Instance.ts"
import type { AppViews } from "./AppView.ts"
import { deploymentObject } from "./DeploymentView.ts"
import type { Embeds } from "./Embeds.ts"
import { isListed, taskJson } from "./TaskView.ts"

export interface AppFilter {
  readonly cmd: string | undefined
  readonly id: string | undefined
  readonly label: string | undefined
}

export class ListViews {
  private readonly ctx: SimContext
  private readonly apps: AppViews
  private readonly deployments: Deployments
  private readonly groups: GroupIndex

  constructor(ctx: SimContext, apps: AppViews, deployments: Deployments, groups: GroupIndex) {
    this.ctx = ctx
    this.apps = apps
    this.deployments = deployments
    this.groups = groups
  }

  /** GET /v2/apps, written fragment by fragment (see Exchange.stream). */
  appList(filter: AppFilter, embeds: Embeds, write: (fragment: string) => void): void {
    let select: ((def: AppDef) => boolean) | undefined
    if (filter.label !== undefined) {
      try {
        const selector = parseSelector(filter.label)
        select = (def) => selector(def.labels)
      } catch (e) {
        if (e instanceof SelectorParseError) throw new ApiError(422, { message: e.message })
        throw e
      }
    }
    const cmd = filter.cmd?.toLowerCase()
    const id = filter.id?.toLowerCase()
    let first = true
    write("{\"apps\":[")
    for (const record of this.ctx.apps.values()) {
      const def = record.def
      // App ids are lower case (AppFields' id pattern): only the filter needs lowering.
      if (id !== undefined && !def.id.includes(id)) continue
      if (cmd !== undefined && !(typeof def.cmd === "string" && def.cmd.toLowerCase().includes(cmd))) continue
      if (select !== undefined && !select(def)) continue
      if (!first) write(",")
      first = false
      this.apps.writeAppInfo(record, embeds, write)
    }
    write("]}")
  }

  /** Apps of a group and its subgroups, for `/v2/apps/{group}/*`. */
  appsUnder(groupId: string): Array<AppRecord> {
    if (!this.groups.has(groupId)) throw new ApiError(404, { message: `Group '${groupId}' does not exist` })
    return [...this.ctx.apps.values()].filter((r) => isUnder(r.id, groupId) && r.id !== groupId)
  }

  /**
   * Task list of some apps, `{"tasks":[...]}`, written fragment by fragment; `embedded` for an
   * app's own task list, which Marathon writes without service ports.
   */
  tasks(
    appIds: Iterable<string>,
    write: (fragment: string) => void,
    keep: (state: string) => boolean = () => true,
    embedded = false
  ): void {
    let first = true
    write("{\"tasks\":[")
    for (const id of appIds) {
      for (const i of this.ctx.instancesOf(id)) {
        if (!isListed(i) || !keep(i.state!)) continue
        if (!first) write(",")
        first = false
        write(taskJson(i, embedded))
      }
    }
    write("]}")
  }

  deploymentList(): string {
    return JSON.stringify(this.deployments.list().map(deploymentObject))
  }

  /** GET /v2/queue: apps with instances waiting to launch (spec §1.17). */
  queue(withOffers: boolean): string {
    const now = this.ctx.now()
    const items: Array<Record<string, unknown>> = []
    for (const record of this.ctx.apps.values()) {
      let count = 0
      let since = Infinity
      for (const i of this.ctx.instancesOf(record.id)) {
        if (i.goal !== "Running" || (i.state !== undefined && !isTerminal(i.state))) continue
        count++
        since = Math.min(since, i.queuedSince ?? now)
      }
      if (count === 0) continue
      const left = timeLeft(record, now)
      const item: Record<string, unknown> = {
        app: record.def,
        count,
        role: typeof record.def["role"] === "string" ? record.def["role"] : "*",
        delay: { timeLeftSeconds: Math.ceil(left / 1000), overdue: left === 0 },
        since: iso(since),
        processedOffersSummary: {
          processedOffersCount: 0,
          unusedOffersCount: 0,
          rejectSummaryLastOffers: rejectSummary(0),
          rejectSummaryLaunchAttempt: rejectSummary(0)
        }
      }
      if (withOffers) item["lastUnusedOffers"] = []
      items.push(item)
    }
    return JSON.stringify({ queue: items })
  }

  /** GroupInfo JSON for `/v2/groups[/{id}]` (spec §1.15). */
  group(groupId: string, withApps: boolean, withGroups: boolean, embeds: Embeds): string {
    if (!this.groups.has(groupId)) throw new ApiError(404, { message: `Group '${groupId}' does not exist` })
    const all = this.groups.all()
    const build = (id: string): string => {
      const apps: Array<string> = []
      let version = ""
      for (const record of this.ctx.apps.values()) {
        if (isUnder(record.id, id) && record.def.version > version) version = record.def.version
        if (withApps && parent(record.id) === id) apps.push(this.apps.appInfo(record, embeds))
      }
      const children = withGroups ? all.filter((g) => parent(g) === id && g !== id).map(build) : []
      return `{"id":${JSON.stringify(id)},"apps":[${apps.join(",")}],"groups":[${
        children.join(",")
      }],"pods":[],"dependencies":[],"version":${
        JSON.stringify(version === "" ? iso(this.ctx.options.startTime) : version)
      },"enforceRole":false}`
    }
    return build(groupId)
  }
}

/** Marathon's offer-reject funnel, in the order it attributes a declined offer to one reason. */
const reasonFunnel = [
  "UnfulfilledRole",
  "UnfulfilledConstraint",
  "NoCorrespondingReservationFound",
  "AgentMaintenance",
  "InsufficientCpus",
  "InsufficientMemory",
  "InsufficientDisk",
  "InsufficientGpus",
  "InsufficientPorts",
  "DeclinedScarceResources"
]

/**
 * Marathon 1.10 always writes one step per funnel reason (declined, and offers still in the funnel
 * at that step). The emulator places instances without offers, so it never declines one.
 */
const rejectSummary = (processed: number) => reasonFunnel.map((reason) => ({ reason, declined: 0, processed }))
