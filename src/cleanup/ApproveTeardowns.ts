// The operator's approvals (`mdeploy cleanup approve`), written with a compare-and-swap on the
// ledger. A swap etcd did not answer may have landed, and the controller may already have used
// what it wrote: an approved name is admitted once and leaves `approved`. Writing the approval
// again would then leave one waiting in the ledger for a deletion nobody has made yet (the name
// deleted again some day would be torn down outside the budget). So after an unanswered swap the
// ledger is read again, and a name it approves, or admitted since the first try, is done; only the
// others are approved again, with a fresh compare-and-swap.
import { Duration, Effect, Result } from "effect"
import { updateLedger } from "./CleanupLedger.ts"
import type { Ledger } from "./DeletionBudget.ts"
import { approve } from "./DeletionBudget.ts"

/** Times an unanswered swap is followed by another try, at most (as `apply` repeats a write). */
export const defaultApprovalRepeats = 3

/** The names of `names` that `now` neither approves nor shows admitted since `before`. */
export const unsettled = (before: Ledger, now: Ledger, names: ReadonlyArray<string>): Array<string> => {
  const earlier = new Set(before.admitted.map((entry) => `${entry.name}\u0000${entry.at}`))
  const admittedSince = new Set(now.admitted.filter((entry) => !earlier.has(`${entry.name}\u0000${entry.at}`)).map((entry) => entry.name))
  return names.filter((name) => !now.approved.includes(name) && !admittedSince.has(name))
}

export const approveTeardowns = (names: ReadonlyArray<string>, repeats = defaultApprovalRepeats) =>
  Effect.gen(function*() {
    let pending = [...new Set(names)]
    // The ledger the first unanswered swap was made on: what was admitted after it counts as done.
    let basis: Ledger | undefined
    for (let unanswered = 0;; unanswered++) {
      // The ledger the latest swap was made on (updateLedger swaps again while others write).
      let swappedOn: Ledger | undefined
      const written = yield* Effect.result(updateLedger((ledger) => {
        swappedOn = ledger
        if (basis !== undefined) pending = unsettled(basis, ledger, pending)
        const done = pending.every((name) => ledger.approved.includes(name))
        return { next: done ? undefined : approve(ledger, pending), result: undefined }
      }))
      if (Result.isSuccess(written)) return
      if (written.failure.unanswered !== true || unanswered >= repeats) return yield* Effect.fail(written.failure)
      basis ??= swappedOn
      yield* Effect.sleep(Duration.millis(200 * 2 ** unanswered))
    }
  })
