// A running deployment (spec §1.13, §4.2): its plan, the current step (0 before the first step
// starts, then 1-based), the action runs of that step, and what it replaced, for a revert.
import type { AppDef } from "../apps/AppDef.ts"
import type { TimerHandle } from "../clock/SimClock.ts"
import type { ReadinessResult } from "../tasks/Instance.ts"
import type { Step } from "./Plan.ts"

export interface ReadinessView {
  readonly taskId: string
  readonly result: ReadinessResult
}

/** One action of the current step, running against live instances. */
export interface ActionRun {
  readonly action: string
  readonly appId: string
  readonly done: boolean
  start(): void
  /** Re-evaluates progress after a change to the app's instances. */
  update(): void
  cancel(): void
  readiness(): ReadonlyArray<ReadinessView>
}

export interface Deployment {
  readonly id: string
  readonly version: string
  readonly steps: ReadonlyArray<Step>
  readonly affectedApps: ReadonlyArray<string>
  /** The definitions before the change (undefined: the app did not exist), for a revert. */
  readonly original: ReadonlyMap<string, AppDef | undefined>
  /** Instances a kill-and-scale asked for by name, per app. */
  readonly killFirst: ReadonlyMap<string, ReadonlyArray<string>>
  currentStep: number
  runs: Array<ActionRun>
  /** F9: the deployment stops making progress at this step. */
  held: boolean
  startTimer: TimerHandle | undefined
}

export const planJson = (d: Deployment) => ({
  id: d.id,
  steps: d.steps.map((actions) => ({ actions: actions.map((a) => ({ action: a.action, app: a.app })) })),
  version: d.version
})

export const stepJson = (d: Deployment) => ({
  actions: (d.steps[d.currentStep - 1] ?? []).map((a) => ({ action: a.action, app: a.app }))
})
