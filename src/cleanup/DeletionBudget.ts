// The deletion budget (design.md §11, CONTRACT), pure. Tearing down the apps of instances whose
// spec is gone is limited across time, not per event: within any window of `windowMs` at most
// `maxFraction` of the managed instances that existed when the window opened, and never all of
// them — whether the specs went in one transaction, one by one, across resyncs or across restarts
// (the ledger lives in etcd). An operator's approval releases one named instance once; `force`
// lifts the budget for a whole controller run.
import { Schema } from "effect"

export const LedgerEntry = Schema.Struct({
  name: Schema.String,
  /** Epoch ms of the admission. */
  at: Schema.Number,
  /** Managed instances counted at the admission: the budget of every window that starts there. */
  managed: Schema.optionalKey(Schema.Int),
  /** The tear-down finished (its apps are gone): deleting the name again is a new tear-down. */
  done: Schema.optionalKey(Schema.Boolean)
})

export const Ledger = Schema.Struct({
  /** Managed instances when the current window opened (the budget's denominator). */
  baseline: Schema.Int,
  /** Epoch ms when the current window opened. */
  baselineAt: Schema.Number,
  /** Tear-downs admitted, with when (epoch ms); entries older than a window are dropped. */
  admitted: Schema.Array(LedgerEntry),
  /** Names an operator approved (`mdeploy cleanup approve`): each admitted once, outside the budget. */
  approved: Schema.Array(Schema.String)
})
export type Ledger = typeof Ledger.Type

export const emptyLedger: Ledger = { baseline: 0, baselineAt: 0, admitted: [], approved: [] }

export interface BudgetConfig {
  readonly windowMs: number
  readonly maxFraction: number
  readonly force: boolean
}

export const defaultBudget: BudgetConfig = { windowMs: 10 * 60_000, maxFraction: 0.5, force: false }

export interface BudgetRequest {
  readonly name: string
  readonly now: number
  /** Managed instances now: every instance running apps of this installation. */
  readonly managed: number
  /** No spec is stored at all: a wiped or misconfigured store, never a reason to delete. */
  readonly specSetEmpty: boolean
}

export type BudgetVerdict =
  | { readonly admitted: true; readonly ledger: Ledger; readonly changed: boolean }
  | { readonly admitted: false; readonly reason: string }

const seconds = (ms: number) => ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`

export const decide = (ledger: Ledger, request: BudgetRequest, config: BudgetConfig): BudgetVerdict => {
  const recent = ledger.admitted.filter((entry) => request.now - entry.at < config.windowMs)
  // Already admitted in this window and not finished: its tear-down goes on over several passes.
  if (recent.some((entry) => entry.name === request.name && entry.done !== true)) {
    return { admitted: true, ledger: { ...ledger, admitted: recent }, changed: recent.length !== ledger.admitted.length }
  }
  // A quiet window opens a new one, counted against the instances that exist now.
  const fresh = recent.length === 0
  const baseline = fresh ? request.managed : Math.max(ledger.baseline, 0)
  const baselineAt = fresh ? request.now : ledger.baselineAt
  const admit = (approved: ReadonlyArray<string>): BudgetVerdict => ({
    admitted: true,
    changed: true,
    ledger: { baseline, baselineAt, admitted: [...recent, { name: request.name, at: request.now, managed: request.managed }], approved }
  })
  if (config.force) return admit(ledger.approved)
  if (ledger.approved.includes(request.name)) return admit(ledger.approved.filter((name) => name !== request.name))
  if (request.specSetEmpty) {
    return {
      admitted: false,
      reason:
        `the spec set is empty: refusing to tear down any of ${baseline} managed instance(s) (approve with 'mdeploy cleanup approve ${request.name}')`
    }
  }
  const limit = Math.floor(baseline * config.maxFraction)
  const next = recent.length + 1
  if (next > limit || next >= baseline) {
    return {
      admitted: false,
      reason:
        `deletion budget spent: ${recent.length} of ${baseline} managed instance(s) torn down in the last ${seconds(config.windowMs)}, ` +
        `at most ${Math.min(limit, Math.max(0, baseline - 1))} allowed (approve with 'mdeploy cleanup approve ${request.name}')`
    }
  }
  // Every window that starts at an earlier admission is held to the instances counted then (or
  // fewer, counted since): the budget of any window is a share of what existed when it opened.
  let smallest = request.managed
  for (let i = recent.length - 1; i >= 0; i--) {
    const entry = recent[i]!
    smallest = Math.min(smallest, entry.managed ?? baseline)
    const since = recent.length - i + 1
    if (since > Math.floor(smallest * config.maxFraction) || since >= smallest) {
      return {
        admitted: false,
        reason: `deletion budget spent: ${since - 1} instance(s) torn down since ${new Date(entry.at).toISOString()}, ` +
          `at most ${Math.floor(smallest * config.maxFraction)} of ${smallest} managed instance(s) within ${seconds(config.windowMs)} ` +
          `(approve with 'mdeploy cleanup approve ${request.name}')`
      }
    }
  }
  return admit(ledger.approved)
}

/** Marks `name`'s open admissions finished; undefined when there is none (nothing to write). */
export const finish = (ledger: Ledger, name: string): Ledger | undefined =>
  ledger.admitted.some((entry) => entry.name === name && entry.done !== true)
    ? { ...ledger, admitted: ledger.admitted.map((entry) => entry.name === name ? { ...entry, done: true } : entry) }
    : undefined

/** Adds approvals (deduplicated); what `mdeploy cleanup approve` writes. */
export const approve = (ledger: Ledger, names: ReadonlyArray<string>): Ledger => ({
  ...ledger,
  approved: [...new Set([...ledger.approved, ...names])]
})
