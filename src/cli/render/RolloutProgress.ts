// Pure: where a rollout stands and the one-line progress text of `mdeploy rollout status`.
// Status is trusted only once it speaks of the stored spec's generation (observedGeneration ==
// metadata.generation): before that, a Running or Stalled phase describes an older spec.
import type { InstanceStatus } from "../../domain/InstanceStatus.ts"
import type { StoredInstance } from "../../store/SpecStore.ts"

export type RolloutState =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Progressing"; readonly reason: string }
  /** Stalled past its progress deadline, or an invalid spec: waiting longer will not help. */
  | { readonly _tag: "Failed"; readonly reason: string }

export interface RolloutProgress {
  readonly state: RolloutState
  readonly line: string
}

const barWidth = 10

/** `[######----]`: the share of desired tasks that are new and happy. */
export const progressBar = (happy: number, desired: number): string => {
  const filled = desired <= 0 ? barWidth : Math.floor((barWidth * Math.min(Math.max(happy, 0), desired)) / desired)
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`
}

const stalledCondition = (status: InstanceStatus) =>
  (status.conditions ?? []).find((condition) => condition.type === "Stalled" && condition.status === "True")

const assess = (instance: StoredInstance, status: InstanceStatus | undefined): RolloutState => {
  const generation = instance.metadata.generation
  if (status === undefined) return { _tag: "Progressing", reason: `waiting for the controller to observe generation ${generation}` }
  if (status.observedGeneration !== generation) {
    const seen = status.observedGeneration === undefined ? "" : ` (status is for generation ${status.observedGeneration})`
    return { _tag: "Progressing", reason: `waiting for the controller to observe generation ${generation}${seen}` }
  }
  const stalled = stalledCondition(status)
  if (status.phase === "Stalled" || stalled !== undefined) {
    return { _tag: "Failed", reason: `stalled: ${stalled?.message ?? status.summary ?? "no progress before the deadline"}` }
  }
  if (status.phase === "Invalid") return { _tag: "Failed", reason: `invalid: ${status.summary ?? "the controller rejected the spec"}` }
  const target = instance.spec.desiredState === "stop" ? "Stopped" : "Running"
  if (status.phase === target) return { _tag: "Done" }
  return {
    _tag: "Progressing",
    reason: [status.summary ?? `phase ${status.phase ?? "Pending"}, waiting for ${target}`, ...whyNotMoving(status)].join("; ")
  }
}

/** What holds a rollout back, where people look: the last pass's problem and Marathon's last task failure. */
export const whyNotMoving = (status: InstanceStatus): ReadonlyArray<string> => {
  const reasons: Array<string> = []
  if (status.lastReconcile?.error !== undefined) reasons.push(`last pass: ${status.lastReconcile.error}`)
  const failure = status.lastTaskFailure
  const short = status.tasks !== undefined && status.tasks.happyNew < status.tasks.desired
  if (failure !== undefined && failure.appId === status.appId && short) {
    reasons.push(`Marathon: task ${failure.taskId} ${failure.state} at ${failure.at}: ${failure.message}`)
  }
  return reasons
}

/**
 * The rollout state and its line, e.g.
 * `web.main  [######----] 2/3 new happy  Bouncing  crossover: 2/3 new happy, 1 draining`.
 */
export const rolloutProgress = (instance: StoredInstance, status: InstanceStatus | undefined): RolloutProgress => {
  const state = assess(instance, status)
  const spec = instance.spec
  const current = status !== undefined && status.observedGeneration === instance.metadata.generation
  const desired = current && status.tasks !== undefined
    ? status.tasks.desired
    : spec.desiredState === "stop"
    ? 0
    : spec.instances ?? 1
  const happy = current ? status.tasks?.happyNew ?? 0 : 0
  const phase = current ? status.phase ?? "Pending" : "Pending"
  const paused = spec.paused === true ? " (paused)" : ""
  const detail = state._tag === "Done"
    ? status?.summary ?? "rolled out"
    : state.reason
  const line = `${instance.metadata.name}  ${progressBar(happy, desired)} ${happy}/${desired} new happy  ${phase}${paused}  ${detail}`
  return { state, line: line.trimEnd() }
}

/** Cuts a line to a terminal's width so that redrawing it in place never wraps. */
export const fitToWidth = (line: string, columns: number): string =>
  columns <= 1 || line.length < columns ? line : `${line.slice(0, columns - 2)}…`
