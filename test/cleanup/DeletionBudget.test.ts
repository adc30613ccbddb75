import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { BudgetConfig, Ledger } from "../../src/cleanup/DeletionBudget.ts"
import { approve, decide, defaultBudget, emptyLedger, finish } from "../../src/cleanup/DeletionBudget.ts"

const minute = 60_000
const request = (name: string, now: number, managed = 10, specSetEmpty = false) => ({ name, now, managed, specSetEmpty })

/** Asks for each name in turn, carrying the ledger on; the names admitted. */
const run = (
  names: ReadonlyArray<readonly [string, number]>,
  config: BudgetConfig = defaultBudget,
  managed = 10,
  start: Ledger = emptyLedger
) => {
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

  it("an admission older than exactly one window no longer counts; one a millisecond younger does", () => {
    const full = run(Array.from({ length: 5 }, (_, i) => [`s${i}.main`, 0] as const)).ledger
    assert.isFalse(decide(full, request("late.main", 10 * minute - 1), defaultBudget).admitted)
    const fresh = decide(full, request("late.main", 10 * minute, 8), defaultBudget)
    // A new window opens, counted against the instances that exist now.
    assert.deepStrictEqual(fresh, {
      admitted: true,
      changed: true,
      ledger: { baseline: 8, baselineAt: 10 * minute, admitted: [{ name: "late.main", at: 10 * minute, managed: 8 }], approved: [] }
    })
  })

  it("records each admission with its time and count, and keeps the window's opening while it is open", () => {
    const { ledger } = run([["a.main", 1_000], ["b.main", 2_000]], defaultBudget, 10, approve(emptyLedger, ["z.main"]))
    assert.deepStrictEqual(ledger, {
      baseline: 10,
      baselineAt: 1_000,
      admitted: [{ name: "a.main", at: 1_000, managed: 10 }, { name: "b.main", at: 2_000, managed: 10 }],
      approved: ["z.main"]
    })
  })

  it("a tear-down that goes on writes the ledger only when expired admissions were dropped", () => {
    const first = decide(emptyLedger, request("a.main", 0), defaultBudget)
    assert.isTrue(first.admitted)
    if (!first.admitted) return
    const second = decide(first.ledger, request("b.main", 9 * minute), defaultBudget)
    assert.isTrue(second.admitted)
    if (!second.admitted) return
    assert.deepStrictEqual(decide(second.ledger, request("b.main", 9 * minute + 1), defaultBudget), {
      admitted: true,
      changed: false,
      ledger: second.ledger
    })
    // a.main's admission has left the window: the same pass drops it, so the ledger is written.
    assert.deepStrictEqual(decide(second.ledger, request("b.main", 11 * minute), defaultBudget), {
      admitted: true,
      changed: true,
      ledger: { ...second.ledger, admitted: [{ name: "b.main", at: 9 * minute, managed: 10 }] }
    })
  })

  it("--force and an approval keep the other approvals; an approval is spent only by its own name", () => {
    const ledger = approve(emptyLedger, ["x.main", "y.main"])
    const forced = decide(ledger, request("a.main", 0, 1), { ...defaultBudget, force: true })
    assert.isTrue(forced.admitted)
    if (forced.admitted) assert.deepStrictEqual(forced.ledger.approved, ["x.main", "y.main"])
    const approved = decide(ledger, request("y.main", 0, 1), defaultBudget)
    assert.isTrue(approved.admitted)
    if (approved.admitted) assert.deepStrictEqual(approved.ledger.approved, ["x.main"])
  })

  it("refusals say how many went, out of how many, within which window, and how to approve", () => {
    const empty = decide(emptyLedger, request("a.main", 0, 3, true), defaultBudget)
    assert.deepStrictEqual(empty, {
      admitted: false,
      reason: "the spec set is empty: refusing to tear down any of 3 managed instance(s) (approve with 'mdeploy cleanup approve a.main')"
    })
    // A window that is not a whole number of minutes is given in seconds.
    const config = { ...defaultBudget, windowMs: 90_500, maxFraction: 1 }
    const two = run([["a.main", 0], ["b.main", 1]], config, 2)
    assert.deepStrictEqual(decide(two.ledger, request("b.main", 2, 2), config), {
      admitted: false,
      reason: "deletion budget spent: 1 of 2 managed instance(s) torn down in the last 91s, at most 1 allowed " +
        "(approve with 'mdeploy cleanup approve b.main')"
    })
    assert.deepStrictEqual(decide(emptyLedger, request("a.main", 0, 0), defaultBudget), {
      admitted: false,
      reason: "deletion budget spent: 0 of 0 managed instance(s) torn down in the last 10m, at most 0 allowed " +
        "(approve with 'mdeploy cleanup approve a.main')"
    })
  })

  it("never all of the instances counted when the window opened, whatever was counted since", () => {
    const ledger: Ledger = { baseline: 2, baselineAt: 0, admitted: [{ name: "a.main", at: 0, managed: 10 }], approved: [] }
    const verdict = decide(ledger, request("b.main", 1, 10), { ...defaultBudget, maxFraction: 1 })
    assert.isFalse(verdict.admitted)
    if (!verdict.admitted) {
      assert.match(verdict.reason, /^deletion budget spent: 1 of 2 managed instance\(s\) torn down in the last 10m, at most 1 allowed/)
    }
  })

  it("even with a fraction of 1, never all of the instances counted at an earlier admission", () => {
    // The window opened on 10, but only 2 were counted at a.main's admission: b.main would be both.
    const ledger: Ledger = { baseline: 10, baselineAt: 0, admitted: [{ name: "a.main", at: 0, managed: 2 }], approved: [] }
    const verdict = decide(ledger, request("b.main", 1, 10), { ...defaultBudget, maxFraction: 1 })
    assert.isFalse(verdict.admitted)
    if (!verdict.admitted) {
      assert.match(verdict.reason, /^deletion budget spent: 1 instance\(s\) torn down since .*, at most 2 of 2 managed/)
    }
  })

  it("a window opening at an earlier admission is refused with when it opened and its own count", () => {
    let ledger = emptyLedger
    for (const [name, at, managed] of [["a.main", 0, 10], ["b.main", 1000, 4]] as const) {
      const verdict = decide(ledger, request(name, at, managed), defaultBudget)
      if (verdict.admitted) ledger = verdict.ledger
    }
    assert.deepStrictEqual(decide(ledger, request("c.main", 2000, 4), defaultBudget), {
      admitted: false,
      reason:
        "deletion budget spent: 2 instance(s) torn down since 1970-01-01T00:00:00.000Z, at most 2 of 4 managed instance(s) within 10m " +
        "(approve with 'mdeploy cleanup approve c.main')"
    })
  })

  it("admissions recorded without a count are held to the window's baseline", () => {
    // The oldest entry predates counts: it stands for the 10 of the window, and the newer entry's 4
    // still bounds every window from the oldest on.
    const ledger: Ledger = {
      baseline: 10,
      baselineAt: 0,
      admitted: [{ name: "a.main", at: 0 }, { name: "b.main", at: 1000, managed: 4 }],
      approved: []
    }
    const verdict = decide(ledger, request("c.main", 2000, 10), defaultBudget)
    assert.isFalse(verdict.admitted)
    if (!verdict.admitted) assert.match(verdict.reason, /2 instance\(s\) torn down since 1970-01-01T00:00:00\.000Z, at most 2 of 4 /)
  })

  it("finishing one name leaves the other admissions open", () => {
    const { ledger } = run([["a.main", 0], ["b.main", 1]])
    assert.deepStrictEqual(finish(ledger, "a.main")?.admitted, [
      { name: "a.main", at: 0, managed: 10, done: true },
      { name: "b.main", at: 1, managed: 10 }
    ])
    assert.isUndefined(finish(ledger, "c.main"))
  })
})
