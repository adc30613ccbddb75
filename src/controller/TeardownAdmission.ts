// Asks the deletion budget (design.md §11) whether one more instance may be torn down now, and
// records the admission in the ledger in etcd in the same compare-and-swap, so two passes, two
// leaders in a row or a restarted controller all spend one budget. Refusals are counted.
import { Clock, Effect, Metric } from "effect"
import { updateLedger } from "../cleanup/CleanupLedger.ts"
import type { BudgetConfig } from "../cleanup/DeletionBudget.ts"
import { decide, finish } from "../cleanup/DeletionBudget.ts"
import type { CleanupInput } from "./CleanupGuard.ts"

export const teardownsRefused = Metric.counter("mdeploy_cleanup_refused_total", {
  description: "Tear-downs of deleted instances refused by the deletion budget or an empty spec set"
})

export const teardownsAdmitted = Metric.counter("mdeploy_cleanup_admitted_total", {
  description: "Tear-downs of deleted instances admitted by the deletion budget"
})

/** The refusal's reason, or undefined when the tear-down of `name` may go on. */
export const admitTeardown = Effect.fnUntraced(function*(name: string, input: CleanupInput, budget: BudgetConfig) {
  const now = yield* Clock.currentTimeMillis
  const request = { name, now, managed: input.managedInstances.size, specSetEmpty: input.specNames.size === 0 }
  const config = { ...budget, force: budget.force || input.force }
  const verdict = yield* updateLedger((ledger) => {
    const decided = decide(ledger, request, config)
    return { next: decided.admitted && decided.changed ? decided.ledger : undefined, result: decided }
  })
  if (verdict.admitted) {
    if (verdict.changed) yield* Metric.update(teardownsAdmitted, 1)
    return undefined
  }
  yield* Metric.update(teardownsRefused, 1)
  return verdict.reason
})

/** Records that `name`'s tear-down is over, so a later deletion of the same name spends budget again. */
export const finishTeardown = (name: string) => updateLedger((ledger) => ({ next: finish(ledger, name), result: undefined }))
