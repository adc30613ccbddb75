// Plan.make: the one pure step from (desired spec, what Marathon runs, drain/progress state, now)
// to the ordered actions of this reconcile pass (paasta-behaviour.md §1.8, design.md §5). Used by
// the controller, `mdeploy diff` and `reconcile --dry-run` alike. Never does I/O, never reads a
// clock, and never emits an action for an app without the MDEPLOY_MANAGED label.
import { DateTime, Option } from "effect"
import { planners } from "../bounce/Planners.ts"
import { capacityFloor } from "../bounce/Crossover.ts"
import type { BounceMethod } from "../domain/Bounce.ts"
import { belongsTo, desiredApp, isManaged } from "../domain/AppIdentity.ts"
import type { Phase, TaskCounts } from "../domain/InstanceStatus.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { ResolvedSpec } from "../domain/ResolvedSpec.ts"
import type { Action, ActionDocument, TaskRef } from "./Action.ts"
import { taskRef, toActionDocument } from "./Action.ts"
import type { DrainConfig, DrainState, ProgressMark } from "./DrainState.ts"
import type { ObservedInstance, ObservedTask } from "./Observed.ts"
import { sameShard } from "./Observed.ts"
import type { ClassifiedTask, Partition } from "./Partition.ts"
import { orderOldNonDraining, partition } from "./Partition.ts"
import type { PlanCondition } from "./PlanStatus.ts"
import { conditionsOf, phaseOf, summaryOf } from "./PlanStatus.ts"
import { progress } from "./Progress.ts"

export interface ObservedCounts {
  readonly newApp: boolean
  readonly happyNew: number
  readonly oldHappy: number
  readonly oldUnhappy: number
  readonly draining: number
  readonly atRisk: number
}

export interface Plan {
  readonly name: InstanceName
  /** The desired app id; undefined when the instance was deleted (tear-down). */
  readonly appId: string | undefined
  /** The shard the instance lives on; absent: the default shard (an installation without shards). */
  readonly shard?: string
  readonly method: BounceMethod
  readonly observed: ObservedCounts
  readonly actions: ReadonlyArray<Action>
  /** Undefined: steady (or paused), nothing to come back for. */
  readonly requeueAfterSeconds: number | undefined
  readonly phase: Phase
  readonly summary: string
  readonly conditions: ReadonlyArray<PlanCondition>
  readonly tasks: TaskCounts
  /** To persist for the next pass (Stalled verdict). */
  readonly progress: ProgressMark
  /** The drain config the executor must use for drainTasks/stopDraining. */
  readonly drain: DrainConfig
}

/** The JSON form of a plan (design.md §5, CONTRACT), plus conditions and task counts. */
export interface PlanDocument {
  readonly name: string
  readonly appId: string | null
  /** Only on an installation with shards. */
  readonly shard?: string
  readonly method: BounceMethod
  readonly observed: ObservedCounts
  readonly actions: ReadonlyArray<ActionDocument>
  readonly requeueAfterSeconds: number | null
  readonly phase: Phase
  readonly summary: string
  readonly conditions: ReadonlyArray<PlanCondition>
  readonly tasks: TaskCounts
}

/** Every pass that still has old tasks or a missing new app comes back after this (PaaSTA: 60 s). */
export const bounceAgainSeconds = 60

const isRunning = (task: ObservedTask | TaskRef) => task.state === "TASK_RUNNING"

const shardOf = (shard: string | undefined) => shard === undefined ? {} : { shard }

/** Tasks by app, an app being (shard, id): one app id may live on two shards while an instance moves. */
const group = (entries: ReadonlyArray<ClassifiedTask>) => {
  const byApp = new Map<string, { appId: string; shard: string | undefined; tasks: Array<TaskRef> }>()
  for (const { app, task } of entries) {
    const key = `${app.shard ?? ""} ${task.appId}`
    const found = byApp.get(key) ?? { appId: task.appId, shard: app.shard, tasks: [] }
    found.tasks.push(taskRef(task, app.shard))
    byApp.set(key, found)
  }
  return [...byApp.values()]
}

/**
 * PaaSTA issue #20: with versions A (oldest), B (intermediate) and C (desired), healthy tasks of
 * B must not be drained while C is not healthy yet; they are the capacity that replaces A. B is
 * "intermediate" while an older old app still has tasks. Applied to crossover only: the other
 * methods drain everything by definition.
 */
const holdIntermediate = (toDrain: ReadonlyArray<ClassifiedTask>, parts: Partition, desiredHealthy: boolean) => {
  if (desiredHealthy) return toDrain
  const oldestWithTasks = parts.oldApps.findIndex((app) => app.tasks.length > 0)
  return toDrain.filter((entry) => entry.bucket !== "happy" || entry.app === parts.newApp || entry.rank <= oldestWithTasks)
}

/**
 * Absent `desired` means the instance was deleted: every managed app is old and drained, killed
 * and deleted under the "down" method with the drain config found in `drainState`.
 */
export const make = (
  desired: Option.Option<ResolvedSpec>,
  observed: ObservedInstance,
  drainState: DrainState,
  now: DateTime.Utc
): Plan => {
  const spec = Option.getOrUndefined(desired)
  const target = spec === undefined ? undefined : desiredApp(spec)
  const instances = spec?.desiredInstances ?? 0
  const method: BounceMethod = spec?.bounce.method ?? "down"
  const marginFactor = spec?.bounce.marginFactor ?? 1
  const ours = observed.apps.filter((app) => belongsTo(app.id, observed.name))
  // The one filter every action below derives from: unlabelled apps are invisible to the plan.
  const managed = ours.filter((app) => isManaged(app.labels))
  const blocked = target !== undefined &&
    ours.some((app) => app.id === target.id && sameShard(app.shard, observed.shard) && !isManaged(app.labels))

  const parts = partition(managed, target?.id, instances, {
    now,
    minTaskUptimeSeconds: spec?.bounce.minTaskUptimeSeconds ?? 0,
    drainingHosts: observed.drainingHosts,
    drain: drainState
  }, observed.shard)
  const { newApp, oldApps, old, victims } = parts
  const ordered = orderOldNonDraining(old)
  const decision = planners[method]({
    instances,
    newAppRunning: newApp !== undefined,
    happyNew: parts.happyNew,
    oldNonDraining: ordered,
    marginFactor
  })
  const desiredHealthy = parts.happyNew.length >= capacityFloor(instances, marginFactor)
  const toDrain = method === "crossover" ? holdIntermediate(decision.toDrain, parts, desiredHealthy) : decision.toDrain
  const drainIds = new Set(toDrain.map((entry) => entry.task.id))

  // Kills: the draining set (already draining, at risk, drained now) minus what must wait.
  const kills: Array<ClassifiedTask> = []
  for (const entry of old) {
    const { task, bucket } = entry
    const drainedNow = drainIds.has(task.id)
    if (bucket !== "draining" && bucket !== "atRisk" && !drainedNow) continue
    const answer = drainState.answers.get(task.id)?.safeToKill
    const safe = !isRunning(task) || // staging, lost or unreachable: nothing to drain, it just goes
      (bucket === "draining"
        ? answer === true || (answer === "error" && drainState.drain.onError === "kill") ||
          (answer === undefined && drainState.safeOnDrain)
        : drainState.safeOnDrain)
    if (safe) kills.push(entry)
  }
  const killed = new Set(kills.map((entry) => entry.task.id))
  const deleted = oldApps.filter((app) => app.tasks.every((task) => killed.has(task.id)))

  const actions: Array<Action> = []
  // No "take up slack" on old apps (PaaSTA #1605 scaled them down to their task count): Marathon
  // 1.10 scales down by ScalingProposition, which kills running tasks before instances still
  // waiting to launch, so that scale would kill undrained tasks and launch the waiting ones in
  // their place. Waiting instances launch, are drained like any task, and go with their app.
  if (newApp !== undefined && parts.newAppScale !== undefined) {
    actions.push({ type: "scaleApp", appId: newApp.id, ...shardOf(newApp.shard), ...parts.newAppScale })
  }
  if (parts.undrain.length > 0 && newApp !== undefined) {
    actions.push({
      type: "stopDraining",
      appId: newApp.id,
      ...shardOf(newApp.shard),
      tasks: parts.undrain.map((task) => taskRef(task, newApp.shard))
    })
  }
  if (decision.createApp && newApp === undefined && target !== undefined && !blocked) {
    actions.push({ type: "createApp", appId: target.id, ...shardOf(observed.shard), definition: target.definition })
  }
  // TASK_UNREACHABLE tasks cannot be reached to drain; being not RUNNING they are killed instead.
  for (const { appId, shard, tasks } of group(toDrain.filter((entry) => entry.task.state !== "TASK_UNREACHABLE"))) {
    actions.push({ type: "drainTasks", appId, ...shardOf(shard), tasks })
  }
  if (kills.length > 0) {
    actions.push({ type: "killTasks", tasks: kills.map((entry) => taskRef(entry.task, entry.app.shard)), scale: true })
  }
  for (const app of deleted) actions.push({ type: "deleteApp", appId: app.id, ...shardOf(app.shard) })

  const count = (bucket: ClassifiedTask["bucket"]) => old.filter((entry) => entry.bucket === bucket).length
  const tasks: TaskCounts = {
    desired: instances,
    happyNew: parts.happyNew.length,
    oldHappy: count("happy"),
    oldUnhappy: count("unhappy"),
    draining: count("draining"),
    atRisk: count("atRisk")
  }
  const steady = spec === undefined
    ? managed.length === 0
    : newApp !== undefined && oldApps.length === 0 && victims.length === 0 && parts.atRiskNew === 0 &&
      newApp.instances === instances && parts.happyNew.length >= instances && parts.undrain.length === 0
  const paused = spec?.paused ?? false
  const verdict = progress({
    previous: drainState.progress,
    now,
    appId: target?.id ?? "",
    happyNew: parts.happyNew.length,
    remainingOld: old.length + oldApps.length,
    idle: steady || paused,
    deadlineSeconds: spec?.bounce.progressDeadlineSeconds ?? Number.POSITIVE_INFINITY
  })
  const facts = {
    method,
    tearDown: spec === undefined,
    paused,
    steady,
    stalled: verdict.stalled,
    idleSeconds: verdict.idleSeconds,
    newAppExists: newApp !== undefined,
    blocked,
    oldApps: spec === undefined ? managed.length : oldApps.length,
    counts: tasks
  }
  const phase = phaseOf(facts)
  const summary = summaryOf(facts)
  return {
    name: observed.name,
    appId: target?.id,
    ...shardOf(spec === undefined ? undefined : observed.shard),
    method,
    observed: {
      newApp: newApp !== undefined,
      happyNew: tasks.happyNew,
      oldHappy: tasks.oldHappy,
      oldUnhappy: tasks.oldUnhappy,
      draining: tasks.draining,
      atRisk: tasks.atRisk
    },
    actions: paused ? [] : actions,
    requeueAfterSeconds: steady || paused ? undefined : requeueAfter(old, drainState, now, actions),
    phase,
    summary,
    conditions: conditionsOf(facts, phase, summary),
    tasks,
    progress: verdict.mark,
    drain: drainState.drain
  }
}

/**
 * Seconds until a task drained in this pass may be safe to kill, as far as the method says:
 * test and hacheck wait `delay` (hacheck from when it recorded the down state); http can only be
 * asked again, so soon; noop is safe at once.
 */
const drainWaitSeconds = (drain: DrainState["drain"]): number => {
  switch (drain.method) {
    case "noop":
      return 1
    case "test":
      return drain.params?.delay ?? 1
    case "hacheck":
      return drain.params?.delay ?? 240
    case "http":
      return 5
  }
}

/**
 * 60 s, or sooner when a draining task is known to become safe to kill before that — including the
 * tasks this very pass starts draining, which the controller must come back for (no event will say
 * that a drain delay has passed).
 */
const requeueAfter = (
  old: ReadonlyArray<ClassifiedTask>,
  drainState: DrainState,
  now: DateTime.Utc,
  actions: ReadonlyArray<Action>
): number => {
  let seconds = bounceAgainSeconds
  if (actions.some((action) => action.type === "drainTasks")) {
    seconds = Math.min(seconds, Math.max(1, Math.ceil(drainWaitSeconds(drainState.drain))))
  }
  for (const entry of old) {
    const answer = drainState.answers.get(entry.task.id)
    const safeAt = answer?.safeAt
    if (entry.bucket !== "draining" || safeAt === undefined || answer?.safeToKill === true) continue
    const wait = Math.ceil((DateTime.toEpochMillis(safeAt) - DateTime.toEpochMillis(now)) / 1000)
    seconds = Math.min(seconds, Math.max(1, wait))
  }
  return seconds
}

/** The JSON form (design.md §5): contract fields in contract order, then conditions and counts. */
export const toDocument = (plan: Plan): PlanDocument => ({
  name: plan.name,
  appId: plan.appId ?? null,
  ...shardOf(plan.shard),
  method: plan.method,
  observed: plan.observed,
  actions: plan.actions.map(toActionDocument),
  requeueAfterSeconds: plan.requeueAfterSeconds ?? null,
  phase: plan.phase,
  summary: plan.summary,
  conditions: plan.conditions,
  tasks: plan.tasks
})
