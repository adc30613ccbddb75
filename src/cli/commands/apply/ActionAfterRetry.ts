// What an apply that had to be repeated reports. A write etcd did not answer may have landed; the
// repeat, reading afresh, then finds the spec as the manifest wants it and would say "unchanged"
// although this apply changed it. The spec's revision before the first try tells the two apart.
import { Option } from "effect"
import type { ApplyAction, ApplyOutcome, StoredInstance } from "../../../store/SpecStore.ts"

/**
 * The action to report for a document the repeat found `action` at revision `revisionNow`, given
 * the revision the first try read (None: no document): "created" or "configured" when it moved
 * since then, as the first try did it. For specs, GitSources and Notifiers alike.
 */
export const actionAfterRepeat = (before: Option.Option<string>, action: ApplyAction, revisionNow: string): ApplyAction => {
  if (action !== "unchanged") return action
  if (Option.isNone(before)) return "created"
  return before.value === revisionNow ? action : "configured"
}

/** The outcome to report for a spec the repeat found `outcome`, given what the first try read (`before`). */
export const actionAfterRetry = (before: Option.Option<StoredInstance>, outcome: ApplyOutcome): ApplyOutcome => ({
  ...outcome,
  action: actionAfterRepeat(
    Option.map(before, (instance) => instance.metadata.resourceVersion),
    outcome.action,
    outcome.instance.metadata.resourceVersion
  )
})
