// Splits one instance's managed apps into the new app and old apps, classifies every task, and
// does the in-place scaling arithmetic of the new app (paasta-behaviour.md §1.8 step 9, §4.7).
// Pure. Every choice inside a bucket is deterministic: older app versions first, then older tasks.
// Must not decide drains or kills; Plan does that with the result.
import { DateTime } from "effect"
import type { Bucket, ClassifyContext } from "../bounce/Classify.ts"
import { classifyTask, drainingAnswer, isHappy } from "../bounce/Classify.ts"
import type { ScaleReason } from "./Action.ts"
import type { ObservedApp, ObservedTask } from "./Observed.ts"
import { sameShard } from "./Observed.ts"

export interface ClassifiedTask {
  readonly task: ObservedTask
  readonly app: ObservedApp
  readonly bucket: Bucket
  /** Version rank of the task's app: 0 = oldest old app; the new app ranks highest. */
  readonly rank: number
}

export interface Partition {
  readonly newApp: ObservedApp | undefined
  /** Oldest version first. */
  readonly oldApps: ReadonlyArray<ObservedApp>
  /** Tasks of old apps plus the new app's scale-down victims, each in exactly one bucket. */
  readonly old: ReadonlyArray<ClassifiedTask>
  /** The new app's scale-down victims (also in `old`). */
  readonly victims: ReadonlyArray<ClassifiedTask>
  /** Happy tasks of the new app that are not victims (at-risk ones included). */
  readonly happyNew: ReadonlyArray<ObservedTask>
  /** New-app tasks on maintenance hosts, any health. */
  readonly atRiskNew: number
  readonly newAppScale: { readonly instances: number; readonly reason: ScaleReason } | undefined
  /** New-app tasks to put back into the load balancer (rollback to a drained version). */
  readonly undrain: ReadonlyArray<ObservedTask>
}

const byVersion = (a: ObservedApp, b: ObservedApp): number =>
  a.version < b.version ? -1 : a.version > b.version ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

const byId = (a: ObservedTask, b: ObservedTask): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Start (or staging) time in ms; tasks that have neither are the youngest. */
const taskTime = (task: ObservedTask): number => {
  const at = task.startedAt ?? task.stagedAt
  return at === undefined ? Number.POSITIVE_INFINITY : DateTime.toEpochMillis(at)
}

/** Older tasks first, ties by id. */
export const byAge = (a: ObservedTask, b: ObservedTask): number => {
  const diff = taskTime(a) - taskTime(b)
  return diff !== 0 && !Number.isNaN(diff) ? diff : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * PaaSTA's `old_non_draining` order, best first: happy, unhappy, at risk. Inside a bucket the
 * newest version and then the youngest task come first, so the tail a planner drains holds the
 * oldest versions and oldest tasks.
 */
export const orderOldNonDraining = (old: ReadonlyArray<ClassifiedTask>): ReadonlyArray<ClassifiedTask> => {
  const inBucket = (bucket: Bucket) =>
    old.filter((entry) => entry.bucket === bucket).sort((a, b) => b.rank - a.rank || byAge(b.task, a.task))
  return [...inBucket("happy"), ...inBucket("unhappy"), ...inBucket("atRisk")]
}

const victimOrder = (surging: boolean): ReadonlyArray<Bucket> =>
  // PaaSTA: draining → unhappy → at risk → happy. While an at-risk surge is in progress the
  // unhappy tasks are mostly the surge replacements still starting; removing them first would
  // undo the surge on every pass (§4.6), so at-risk tasks go before them.
  surging ? ["draining", "atRisk", "unhappy", "happy"] : ["draining", "unhappy", "atRisk", "happy"]

export const partition = (
  apps: ReadonlyArray<ObservedApp>,
  newAppId: string | undefined,
  instances: number,
  context: ClassifyContext,
  /** The instance's shard: the desired id on another shard is an old app (moved away from). */
  shard?: string
): Partition => {
  const newApp = newAppId === undefined ? undefined : apps.find((app) => app.id === newAppId && sameShard(app.shard, shard))
  const oldApps = apps.filter((app) => app !== newApp).sort(byVersion)
  const old: Array<ClassifiedTask> = oldApps.flatMap((app, rank) =>
    [...app.tasks].sort(byId).map((task) => ({ task, app, bucket: classifyTask(task, app, context), rank }))
  )
  if (newApp === undefined) {
    return { newApp, oldApps, old, victims: [], happyNew: [], atRiskNew: 0, newAppScale: undefined, undrain: [] }
  }

  const tasks = [...newApp.tasks].sort(byId)
  const atRiskNew = tasks.filter((task) => context.drainingHosts.has(task.host)).length
  let victims: ReadonlyArray<ClassifiedTask> = []
  let newAppScale: Partition["newAppScale"] = undefined
  if (newApp.instances < instances + atRiskNew) {
    // Scale up, with one extra task per at-risk task so capacity survives the maintenance.
    newAppScale = { instances: instances + atRiskNew, reason: atRiskNew > 0 ? "atRiskSurge" : "scaleUp" }
  } else if (newApp.instances > instances) {
    const count = Math.max(Math.min(tasks.length, newApp.instances) - instances, 0)
    const classified = tasks.map((task) => ({
      task,
      app: newApp,
      bucket: classifyTask(task, newApp, context),
      rank: oldApps.length
    }))
    victims = victimOrder(atRiskNew > 0)
      .flatMap((bucket) => classified.filter((entry) => entry.bucket === bucket).sort((a, b) => byAge(a.task, b.task)))
      .slice(0, count)
    // Unlaunched slots would only start tasks we are about to remove, but Marathon 1.10 scales
    // down running tasks before waiting instances (ScalingProposition), so a scale-down is safe
    // only while the app has no task at all; otherwise the extra tasks launch and go as victims.
    if (newApp.instances > tasks.length && tasks.length === 0) {
      newAppScale = { instances, reason: "slack" }
    }
  }

  const victimIds = new Set(victims.map((victim) => victim.task.id))
  const remaining = tasks.filter((task) => !victimIds.has(task.id))
  // stop_draining goes to every kept task that is, or may be, out of the load balancer: reported
  // draining, recorded as drained, or whose is_draining errored (PaaSTA sends it to every kept
  // task on every run; tasks known to be in the load balancer are spared the call).
  const undrain = remaining.filter((task) =>
    task.state !== "TASK_UNREACHABLE" &&
    (drainingAnswer(task, context.drain) !== false || context.drain.records.has(task.id))
  )
  // A task put back into the load balancer in this pass serves no traffic yet: counting it as
  // happy would let crossover drain old tasks against capacity that is not there (PaaSTA's
  // HAProxy check does not count it either). It counts from the next pass on.
  const undrainIds = new Set(undrain.map((task) => task.id))
  const happyNew = remaining.filter((task) => !undrainIds.has(task.id) && isHappy(task, newApp, context.now, context.minTaskUptimeSeconds))
  return {
    newApp,
    oldApps,
    old: [...old, ...victims],
    victims,
    happyNew,
    atRiskNew,
    newAppScale,
    undrain
  }
}
