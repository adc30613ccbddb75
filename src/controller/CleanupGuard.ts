// Pure: may the controller consider tearing down an instance whose spec is gone at all? Never while
// the spec list is not loaded: until then every instance looks deleted. Whether this one may go
// (an empty spec set, how many went lately, an operator's approval) is the deletion budget's
// business (src/cleanup/DeletionBudget.ts), decided across time with its ledger in etcd.

export interface CleanupInput {
  /** Names with a stored spec, readable or not. */
  readonly specNames: ReadonlySet<string>
  /** False until the spec informer delivered its first full list. */
  readonly specsSynced: boolean
  /**
   * Every instance this installation manages now: those running apps of ours, in a full list taken
   * for the decision (a spec that never reached Marathon has nothing to protect).
   */
  readonly managedInstances: ReadonlySet<string>
  readonly force: boolean
}

export type CleanupVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string }

export const cleanupVerdict = (input: CleanupInput): CleanupVerdict => {
  if (!input.specsSynced) return { allowed: false, reason: "the spec list is not loaded yet" }
  return { allowed: true }
}
