// The write path every mutating endpoint shares (spec §8): version the new definitions (§3.3),
// build the plan (§4.1), check it against running deployments (409 locked, §2.3) and the
// deployment limit, store the target at once, publish api_post_event / group_change_*, and
// hand the plan to the deployment runner.
import type { AppDef } from "../apps/AppDef.ts"
import type { Draft } from "../apps/AppNormalizer.ts"
import type { ServicePorts } from "../apps/ServicePorts.ts"
import type { Deployments } from "../deploy/Deployments.ts"
import { buildPlan, isConfigChange, type AppChange } from "../deploy/Plan.ts"
import { ApiError, locked, tooManyDeployments } from "./ApiError.ts"
import type { GroupIndex } from "./GroupIndex.ts"
import type { SimContext } from "./SimContext.ts"

export interface CommitOptions {
  readonly force: boolean
  readonly version: string
  /** The group named in group_change_* events. */
  readonly groupId: string
  /** Set for single-app POST/PUT/PATCH: publishes api_post_event. */
  readonly apiPost?: { readonly clientIp: string; readonly uri: string }
  readonly killFirst?: ReadonlyMap<string, ReadonlyArray<string>>
}

export interface CommitResult {
  readonly deploymentId: string
  readonly version: string
}

/** Marathon keeps this many versions per app (zk_max_versions). */
const maxVersions = 50

export class Writes {
  private readonly ctx: SimContext
  private readonly deployments: Deployments
  readonly ports: ServicePorts
  readonly groups: GroupIndex

  constructor(ctx: SimContext, deployments: Deployments, ports: ServicePorts, groups: GroupIndex) {
    this.ctx = ctx
    this.deployments = deployments
    this.ports = ports
    this.groups = groups
  }

  nextVersion(): string {
    return this.ctx.versions.next(this.ctx.now())
  }

  /** Gives a draft its version fields relative to the definition it replaces (spec §3.3). */
  versioned(draft: Draft, before: AppDef | undefined, version: string, restart = false): AppDef {
    const make = (lastScalingAt: string, lastConfigChangeAt: string) => {
      const def: Record<string, unknown> = {}
      for (const k in draft) if (k !== "version" && k !== "versionInfo") def[k] = draft[k]
      def["version"] = version
      def["versionInfo"] = { lastScalingAt, lastConfigChangeAt }
      return def as AppDef
    }
    if (before === undefined) return make(version, version)
    const candidate = make(before.versionInfo.lastScalingAt, before.versionInfo.lastConfigChangeAt)
    if (restart) return make(before.versionInfo.lastScalingAt, version)
    if (isConfigChange(before, candidate)) return make(version, version)
    if (before.instances !== draft.instances) return make(version, before.versionInfo.lastConfigChangeAt)
    return before
  }

  commit(changes: ReadonlyArray<AppChange>, options: CommitOptions): CommitResult {
    const after = new Map(changes.map((c) => [c.id, c.after]))
    const target = (id: string) => (after.has(id) ? after.get(id) : this.ctx.apps.get(id)?.def)
    const steps = buildPlan(changes, target)
    const deploymentId = this.ctx.ids.uuid4()
    const { version, groupId } = options
    if (steps.length > 0) {
      const affected = [...new Set(steps.flatMap((s) => s.map((a) => a.app)))]
      const conflicts = this.deployments.conflicts(affected)
      if (conflicts.length > 0 && !options.force) {
        const plan = { id: deploymentId, steps: steps.map((s) => ({ actions: s.map((a) => ({ ...a })) })), version }
        // Marathon publishes the exception's whole message as the reason.
        const error = locked(conflicts.map((d) => d.id))
        const reason = String(error.body["message"])
        this.ctx.events.emit("deployment_failed", () => ({ id: deploymentId, plan, reason }))
        this.ctx.events.emit("group_change_failed", () => ({ groupId, version, reason }))
        throw error
      }
      const max = this.ctx.options.maxRunningDeployments
      if (!options.force && this.deployments.size - conflicts.length >= max) {
        throw new ApiError(403, { message: tooManyDeployments(max) })
      }
      for (const d of conflicts) this.deployments.cancel(d, "The upgrade has been cancelled")
    }
    const original = new Map<string, AppDef | undefined>()
    for (const c of changes) {
      original.set(c.id, c.before)
      this.store(c)
    }
    const single = changes.length === 1 ? changes[0]!.after : undefined
    if (options.apiPost !== undefined && single !== undefined) {
      const { clientIp, uri } = options.apiPost
      this.ctx.events.emit("api_post_event", () => ({ clientIp, uri, appDefinition: single }))
    }
    this.ctx.events.emit("group_change_success", () => ({ groupId, version }))
    this.deployments.begin(deploymentId, version, steps, original, options.killFirst)
    return { deploymentId, version }
  }

  private store(c: AppChange): void {
    const record = this.ctx.apps.get(c.id)
    const next = c.after
    if (next === undefined) {
      if (record === undefined) return
      this.ports.swap(record.def, undefined)
      this.ctx.apps.delete(c.id)
      this.groups.remove(c.id)
      if ((record.def.healthChecks?.length ?? 0) > 0) this.ctx.events.emit("remove_health_check_event", () => ({ appId: c.id }))
      return
    }
    if (record === undefined) {
      this.ports.swap(undefined, next)
      this.ctx.apps.set(c.id, {
        id: c.id,
        def: next,
        versions: new Map([[next.version, next]]),
        backoff: undefined,
        lastTaskFailure: undefined
      })
      this.groups.add(c.id)
    } else {
      if (record.def === next) return
      this.ports.swap(record.def, next)
      if (next.versionInfo.lastConfigChangeAt !== record.def.versionInfo.lastConfigChangeAt) record.backoff = undefined
      record.def = next
      record.versions.set(next.version, next)
      if (record.versions.size > maxVersions) record.versions.delete(record.versions.keys().next().value as string)
    }
    if (next.versionInfo.lastConfigChangeAt === next.version) {
      for (const healthCheck of next.healthChecks ?? []) {
        this.ctx.events.emit("add_health_check_event", () => ({ appId: c.id, version: next.version, healthCheck }))
      }
    }
  }
}
