// What the status page and /api/v1/instances say about one instance, from its stored spec, its
// status and the GitSource that wrote it. Pure. Never carries a secret: no env values, no command,
// no drain parameters (URLs may hold credentials) — only names, counts, phases and app ids.
//
// "Stalled", for the page, is any of:
// * phase Stalled — the bounce made no progress within spec.bounce.progressDeadlineSeconds
//   (plan/Progress.ts decides it; the Stalled condition says why);
// * the last pass failed (lastReconcile.result Error: Marathon or etcd unreachable, an answer not
//   trusted) — nothing moves until it passes again;
// * the last pass reported a problem (lastReconcile.error: a drain call failing, a create refused)
//   while the instance is not Running.
import { sourceAnnotation } from "../domain/GitSource.ts"
import type { Condition, InstanceStatus, TaskCounts } from "../domain/InstanceStatus.ts"
import type { GitSourceStatus } from "../domain/GitSource.ts"
import type { StoredInstance } from "../store/SpecStore.ts"

export interface InstanceView {
  readonly name: string
  readonly phase: string
  readonly generation: number
  readonly observedGeneration: number | undefined
  readonly appId: string | undefined
  readonly tasks: TaskCounts | undefined
  /** Happy tasks of the new app, and how many are wanted. */
  readonly progress: { readonly happyNew: number; readonly desired: number }
  readonly summary: string
  readonly source: { readonly name: string; readonly revision?: string } | null
  readonly inProgress: boolean
  readonly stalled: boolean
  readonly stalledReason?: string
  readonly lastReconcileAt: string | undefined
  readonly conditions: ReadonlyArray<Condition>
  readonly spec: {
    readonly bounceMethod: string
    readonly instances: number
    readonly desiredState: string
    readonly paused: boolean
    readonly image?: string
    readonly cpus?: number
    readonly mem?: number
    readonly drainMethod: string
  }
}

const stalledReason = (status: InstanceStatus | undefined): string | undefined => {
  if (status === undefined) return undefined
  if (status.phase === "Stalled") {
    return status.conditions?.find((condition) => condition.type === "Stalled" && condition.status === "True")?.message ?? status.summary ??
      "no progress"
  }
  if (status.lastReconcile?.result === "Error") return status.lastReconcile.error ?? "the last pass failed"
  if (status.lastReconcile?.error !== undefined && status.phase !== "Running") return status.lastReconcile.error
  return undefined
}

export const instanceView = (
  instance: StoredInstance,
  status: InstanceStatus | undefined,
  sources: ReadonlyMap<string, GitSourceStatus>
): InstanceView => {
  const spec = instance.spec
  const desired = spec.desiredState === "stop" ? 0 : spec.instances ?? 1
  const current = status?.observedGeneration === instance.metadata.generation
  const phase = spec.paused === true ? "Paused" : status?.phase ?? "Pending"
  const sourceName = instance.metadata.annotations?.[sourceAnnotation]
  const revision = sourceName === undefined ? undefined : sources.get(sourceName)?.lastAppliedRevision
  const reason = stalledReason(status)
  return {
    name: instance.metadata.name,
    phase,
    generation: instance.metadata.generation,
    observedGeneration: status?.observedGeneration,
    appId: status?.appId,
    tasks: status?.tasks,
    progress: { happyNew: status?.tasks?.happyNew ?? 0, desired },
    summary: status?.summary ?? (current ? "" : "waiting for the controller"),
    source: sourceName === undefined ? null : { name: sourceName, ...(revision === undefined ? {} : { revision }) },
    inProgress: !current || phase === "Bouncing" || phase === "Pending" || phase === "Stalled",
    stalled: reason !== undefined,
    ...(reason === undefined ? {} : { stalledReason: reason }),
    lastReconcileAt: status?.lastReconcile?.at,
    conditions: status?.conditions ?? [],
    spec: {
      bounceMethod: spec.bounce?.method ?? "crossover",
      instances: spec.instances ?? 1,
      desiredState: spec.desiredState ?? "start",
      paused: spec.paused === true,
      ...(spec.image === undefined ? {} : { image: spec.image }),
      ...(spec.cpus === undefined ? {} : { cpus: spec.cpus }),
      ...(spec.mem === undefined ? {} : { mem: spec.mem }),
      drainMethod: spec.drain?.method ?? "noop"
    }
  }
}

/** The page's order: stalled first, then rollouts in progress, then the rest; by name within each. */
export const pageOrder = (views: ReadonlyArray<InstanceView>): ReadonlyArray<InstanceView> => {
  const rank = (view: InstanceView) => view.stalled ? 0 : view.inProgress ? 1 : 2
  return [...views].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
}
