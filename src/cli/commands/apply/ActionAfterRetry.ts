// What an apply that had to be repeated reports. A write etcd did not answer may have landed; the
// repeat, reading afresh, then finds the spec as the manifest wants it and would say "unchanged"
// although this apply changed it. The spec's revision before the first try tells the two apart.
import { Option } from "effect"
import type { ApplyOutcome, StoredInstance } from "../../../store/SpecStore.ts"

/**
 * The outcome to report for a spec the repeat found `outcome`, given what the first try read
 * (`before`): "created" or "configured" when the spec moved since then, as the first try did it.
 */
export const actionAfterRetry = (before: Option.Option<StoredInstance>, outcome: ApplyOutcome): ApplyOutcome => {
  if (outcome.action !== "unchanged") return outcome
  if (Option.isNone(before)) return { ...outcome, action: "created" }
  return before.value.metadata.resourceVersion === outcome.instance.metadata.resourceVersion
    ? outcome
    : { ...outcome, action: "configured" }
}
