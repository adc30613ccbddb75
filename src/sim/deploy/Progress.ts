// Shared judgements of the deployment actions: when a new task counts as "up" (running, healthy
// when the app has health checks, ready when it has readiness checks) and which tasks a scale
// down kills first (ScalingProposition, spec §4.4).
import type { Instance } from "../tasks/Instance.ts"
import { isHealthy } from "../tasks/Instance.ts"

export const countsAsHealthy = (i: Instance): boolean => (i.def.healthChecks?.length ?? 0) > 0 ? isHealthy(i) : i.state === "TASK_RUNNING"

export const isReady = (i: Instance): boolean => (i.def.readinessChecks?.length ?? 0) === 0 || i.ready

export const isUp = (i: Instance): boolean => i.state === "TASK_RUNNING" && countsAsHealthy(i) && isReady(i)

// Marathon 1.10's ScalingProposition weights: Unreachable 1, Staging 2, Starting 3, Running 4 and
// every other condition 5, so a scheduled or backing-off instance (no task yet) is killed last,
// after the running ones, however odd that looks.
const rank = (i: Instance): number => {
  switch (i.state) {
    case "TASK_UNREACHABLE":
      return 1
    case "TASK_STAGING":
      return 2
    case "TASK_STARTING":
      return 3
    case "TASK_RUNNING":
      return 4
    default:
      return 5
  }
}

/**
 * Orders kill candidates: named instances first, then by the weights above; staging and
 * starting ties by state time (newest first), running ties by the app's killSelection.
 */
export const killOrder = (candidates: Iterable<Instance>, named: ReadonlySet<string>, killSelection: string): Array<Instance> =>
  [...candidates].sort((a, b) => {
    const na = named.has(a.instanceId) ? 0 : 1
    const nb = named.has(b.instanceId) ? 0 : 1
    if (na !== nb) return na - nb
    const ra = rank(a), rb = rank(b)
    if (ra !== rb) return ra - rb
    if (a.state === "TASK_RUNNING") {
      const sa = a.startedAt ?? 0, sb = b.startedAt ?? 0
      return killSelection === "OLDEST_FIRST" ? sa - sb : sb - sa
    }
    return b.stateSince - a.stateSince
  })

/** Unhealthy instances first, then the app's killSelection (for replacing old tasks). */
export const replaceOrder = (candidates: Iterable<Instance>, killSelection: string): Array<Instance> =>
  [...candidates].sort((a, b) => {
    const ha = countsAsHealthy(a) ? 1 : 0
    const hb = countsAsHealthy(b) ? 1 : 0
    if (ha !== hb) return ha - hb
    const sa = a.startedAt ?? a.stagedAt, sb = b.startedAt ?? b.stagedAt
    return killSelection === "OLDEST_FIRST" ? sa - sb : sb - sa
  })
