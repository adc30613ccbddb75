// Pure: may the controller tear down an instance whose spec is gone? PaaSTA's cleanup safety:
// never while the spec list is not loaded, never when the spec set is empty (a wiped or
// misconfigured store must not take every service down), and never when more than half of the
// managed instances would go in one pass — unless the operator said --force.

export interface CleanupInput {
  /** Names with a stored spec. */
  readonly specNames: ReadonlySet<string>
  /** False until the spec informer delivered its first full list. */
  readonly specsSynced: boolean
  /** Names of instances that have managed apps on Marathon. */
  readonly managedInstances: ReadonlySet<string>
  readonly force: boolean
}

export type CleanupVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string }

/** Share of managed instances that may be orphaned before cleanup stops. */
export const maxOrphanShare = 0.5

export const cleanupVerdict = (input: CleanupInput): CleanupVerdict => {
  if (!input.specsSynced) return { allowed: false, reason: "the spec list is not loaded yet" }
  if (input.force) return { allowed: true }
  const managed = input.managedInstances.size
  if (input.specNames.size === 0) {
    return {
      allowed: false,
      reason: `the spec set is empty: refusing to delete all ${managed} managed instance(s) (run the controller with --force to allow it)`
    }
  }
  let orphans = 0
  for (const name of input.managedInstances) if (!input.specNames.has(name)) orphans++
  if (orphans > managed * maxOrphanShare) {
    return {
      allowed: false,
      reason: `${orphans} of ${managed} managed instances have no spec, more than ${maxOrphanShare * 100}%: refusing mass deletion (run the controller with --force to allow it)`
    }
  }
  return { allowed: true }
}
