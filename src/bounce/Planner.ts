// The bounce-planner contract (paasta-behaviour.md §4.2), with types: a pure function from the
// desired count, whether the new app runs, its happy tasks and the old non-draining tasks
// (ordered best first: happy, unhappy, at risk) to "create the new app?" and "which tasks to drain".
// A planner never sees draining tasks and never kills: Plan drains what it returns and kills what is safe.

export interface BounceInput<T> {
  /** Desired instance count of the new app (0 when stopped). */
  readonly instances: number
  readonly newAppRunning: boolean
  /** Happy tasks of the new app (only their number matters to the planners). */
  readonly happyNew: ReadonlyArray<unknown>
  /** Old tasks not yet draining, best first; the tail is drained first. */
  readonly oldNonDraining: ReadonlyArray<T>
  /** crossover only: 0 < f <= 1 (enforced by the spec schema). */
  readonly marginFactor: number
}

export interface BounceDecision<T> {
  readonly createApp: boolean
  readonly toDrain: ReadonlyArray<T>
}

export type Planner = <T>(input: BounceInput<T>) => BounceDecision<T>
