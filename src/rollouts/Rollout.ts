// A rollout (design.md §13, CONTRACT): what the controller did for one generation of one instance,
// as steps built from the reconcile passes' traces — create the app, scale, drain, wait, kill,
// delete the old app — each with its times, attributes and the trace it came from. Stored at
// `<p>/rollouts/<name>/<generation>`, newest 20 per instance.
import { Schema } from "effect"

export const RolloutResult = Schema.Literals(["Succeeded", "Failed", "Superseded", "InProgress"])
export type RolloutResult = typeof RolloutResult.Type

export const StepAttribute = Schema.Union([Schema.String, Schema.Number, Schema.Boolean])

export const RolloutStep = Schema.Struct({
  name: Schema.String,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  /** `mdeploy.step.kind` is "act" (a call to Marathon or a drain backend) or "wait" (between passes). */
  attributes: Schema.Record(Schema.String, StepAttribute),
  traceId: Schema.String
})
export type RolloutStep = typeof RolloutStep.Type

export const Rollout = Schema.Struct({
  generation: Schema.Int,
  startedAt: Schema.String,
  finishedAt: Schema.optionalKey(Schema.String),
  result: RolloutResult,
  /** The Marathon app the generation rolls out to. */
  appId: Schema.optionalKey(Schema.String),
  /** The GitSource that wrote the spec, when one did. */
  source: Schema.optionalKey(Schema.String),
  /** What the last pass left the rollout waiting for, while it is in progress. */
  waitingFor: Schema.optionalKey(Schema.Literals(["drain", "marathon"])),
  steps: Schema.Array(RolloutStep)
})
export type Rollout = typeof Rollout.Type

/** Rollouts kept per instance. */
export const rolloutLimit = 20
/** Steps kept per rollout: the first ones and the newest (a bounce of a very large app in tiny batches). */
export const stepLimit = 200

/** What one finished reconcile pass tells about a rollout: read from its trace by `passOf`. */
export interface PassTrace {
  readonly instance: string
  readonly generation: number
  readonly traceId: string
  /** Unix epoch milliseconds. */
  readonly startedAt: number
  readonly finishedAt: number
  /** The phase the pass left (InstanceStatus phase). */
  readonly phase: string
  readonly appId: string | undefined
  readonly source: string | undefined
  /** `<commit> <subject>` of the GitSource revision that wrote the spec (mdeploy.dev/revision). */
  readonly revision?: string | undefined
  /** Tasks draining when the pass planned: what a wait after it waits for. */
  readonly draining: number
  readonly actions: ReadonlyArray<PassAction>
  /**
   * The leader key the pass ran under (its create revision): the pass is written into the history
   * only while that key still holds, so a deposed leader's queued passes write nothing.
   */
  readonly fence?: { readonly key: string; readonly createRevision: string } | undefined
}

export interface PassAction {
  readonly name: string
  readonly startedAt: number
  readonly finishedAt: number
  readonly attributes: Readonly<Record<string, string | number | boolean>>
  readonly failed: boolean
}

/** Seconds a step took, for `rollout history` and the page. */
export const stepSeconds = (step: RolloutStep): number => Math.max(0, (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000)
