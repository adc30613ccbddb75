import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { BudgetConfig, Ledger } from "../../src/cleanup/DeletionBudget.ts"
import { approve, decide, defaultBudget, emptyLedger, finish } from "../../src/cleanup/DeletionBudget.ts"

const minute = 60_000
const request = (name: string, now: number, managed = 10, specSetEmpty = false) => ({ name, now, managed, specSetEmpty })

/** Asks for each name in turn, carrying the ledger on; the names admitted. */
const run = (names: ReadonlyArray<readonly [string, number]>, config: BudgetConfig = defaultBudget, managed = 10, start: Ledger = emptyLedger) => {
  let ledger = start
  const admitted: Array<string> = []
  for (const [name, now] of names) {
    const verdict = decide(ledger, request(name, now, managed), config)
    if (verdict.admitted) {
      ledger = verdict.ledger
      admitted.push(name)
    }
  }
  return { admitted, ledger }
}

describe("deletion budget (design §11)", () => {
  it("admits exactly half of the managed instances in one window, then refuses with the reason", () => {
    const { admitted, ledger } = run(Array.from({ length: 8 }, (_, i) => [`s${i}.main`, i * 1000] as const))
    assert.deepStrictEqual(admitted, ["s0.main", "s1.main", "s2.main", "s3.main", "s4.main"])
    const refused = decide(ledger, request("s5.main", 9_000), defaultBudget)
    assert.isFalse(refused.admitted)
    if (!refused.admitted) assert.match(refused.reason, /5 of 10 managed instance\(s\) torn down in the last 10m, at most 5 allowed/)
  })

  it("a tear-down already admitted goes on over several passes without spending more", () => {
    const { ledger } = run([["a.main", 0], ["b.main", 1]], defaultBudget)
    const again = decide(ledger, request("a.main", 5_000), defaultBudget)
    assert.isTrue(again.admitted)
    if (again.admitted) assert.lengthOf(again.ledger.admitted, 2)
  })

  it("a name deleted again after its tear-down finished spends budget again", () => {
    const first = decide(emptyLedger, request("a.main", 0, 4), defaultBudget)
    assert.isTrue(first.admitted)
    if (!first.admitted) return
    assert.isTrue(decide(first.ledger, request("a.main", 1, 4), defaultBudget).admitted, "the same tear-down goes on")
    const done = finish(first.ledger, "a.main")!
    assert.isUndefined(finish(done, "a.main"), "nothing left to finish: nothing to write")
    // Re-created and deleted again: a second tear-down, and with 4 managed only 2 fit in a window.
    assert.isTrue(decide(done, request("a.main", 2, 4), defaultBudget).admitted)
    const twice = decide(done, request("a.main", 2, 4), defaultBudget)
    if (twice.admitted) assert.isFalse(decide(twice.ledger, request("b.main", 3, 4), defaultBudget).admitted)
  })

  it("every window is held to the instances counted when it opened, also as that count falls", () => {
    // 10 managed at the first admission, 4 when the second came: a window opening at the second
    // may hold at most 2 tear-downs, whatever the first window's baseline allows.
    let ledger = emptyLedger
    for (const [name, at, managed] of [["a.main", 0, 10], ["b.main", 1000, 4]] as const) {
      const verdict = decide(ledger, request(name, at, managed), defaultBudget)
      assert.isTrue(verdict.admitted, name)
      if (verdict.admitted) ledger = verdict.ledger
    }
    const third = decide(ledger, request("c.main", 2000, 4), defaultBudget)
    assert.isFalse(third.admitted)
    if (!third.admitted) assert.match(third.reason, /at most 2 of 4/)
  })

  it("the window slides: admissions older than the window no longer count", () => {
    const early = run(Array.from({ length: 5 }, (_, i) => [`s${i}.main`, i] as const))
    assert.isFalse(decide(early.ledger, request("late.main", 10 * minute - 1), defaultBudget).admitted)
    assert.isTrue(decide(early.ledger, request("late.main", 10 * minute + 5), defaultBudget).admitted)
  })

  it("never all of them: one managed instance is never torn down, whatever the fraction", () => {
    assert.isFalse(decide(emptyLedger, request("only.main", 0, 1), defaultBudget).admitted)
    assert.deepStrictEqual(run([["a.main", 0], ["b.main", 1]], { ...defaultBudget, maxFraction: 1 }, 2).admitted, ["a.main"])
  })

  it("an empty spec set is refused unless approved; an approval is spent once", () => {
    const empty = decide(emptyLedger, request("a.main", 0, 10, true), defaultBudget)
    assert.isFalse(empty.admitted)
    if (!empty.admitted) assert.match(empty.reason, /spec set is empty/)
    const approved = approve(emptyLedger, ["a.main", "a.main"])
    assert.deepStrictEqual(approved.approved, ["a.main"])
    const once = decide(approved, request("a.main", 0, 10, true), defaultBudget)
    assert.isTrue(once.admitted)
    if (once.admitted) assert.deepStrictEqual(once.ledger.approved, [])
  })

  it("an approval admits beyond the budget; --force lifts it for the run", () => {
    const full = run(Array.from({ length: 5 }, (_, i) => [`s${i}.main`, i] as const)).ledger
    assert.isFalse(decide(full, request("x.main", 10), defaultBudget).admitted)
    assert.isTrue(decide(approve(full, ["x.main"]), request("x.main", 10), defaultBudget).admitted)
    assert.isTrue(decide(full, request("x.main", 10, 10, true), { ...defaultBudget, force: true }).admitted)
  })

  it("the baseline is taken when a window opens and kept while it is open", () => {
    const first = decide(emptyLedger, request("a.main", 0, 10), defaultBudget)
    assert.isTrue(first.admitted)
    if (!first.admitted) return
    assert.strictEqual(first.ledger.baseline, 10)
    // Fewer instances counted later (torn down ones are gone) do not shrink the window's budget.
    const second = decide(first.ledger, request("b.main", 1_000, 4), defaultBudget)
    assert.isTrue(second.admitted)
    if (second.admitted) assert.strictEqual(second.ledger.baseline, 10)
  })

  it("property: within any window, admissions never exceed floor(baseline × fraction) nor reach the baseline", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.array(fc.integer({ min: 0, max: 30 * minute }), { minLength: 1, maxLength: 60 }),
      (managed, maxFraction, times) => {
        const config = { ...defaultBudget, maxFraction }
        const sorted = [...times].sort((a, b) => a - b)
        const { ledger } = run(sorted.map((at, i) => [`s${i}.main`, at] as const), config, managed)
        const at = ledger.admitted.map((entry) => entry.at)
        for (const start of at) {
          const inWindow = at.filter((t) => t >= start && t < start + config.windowMs).length
          if (inWindow > Math.floor(managed * maxFraction) || inWindow >= managed) return false
        }
        return true
      }
    ))
  })
})
