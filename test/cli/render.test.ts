import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { unifiedDiff } from "../../src/cli/render/LineDiff.ts"
import { formatAge, renderTable } from "../../src/cli/render/Table.ts"
import { matchesSelector, parseLabelSelector } from "../../src/domain/LabelSelector.ts"

describe("label selectors", () => {
  const labels = { team: "payments", tier: "web", "example.com/canary": "" }
  it.each([
    ["team=payments", true],
    ["team==payments,tier=web", true],
    ["team!=payments", false],
    ["team in (search, payments)", true],
    ["tier notin (web)", false],
    ["example.com/canary", true],
    ["!missing", true],
    ["!team", false],
    ["missing!=x", true],
    ["", true]
  ])("%s matches: %s", (text, expected) => {
    const selector = Result.getOrThrow(parseLabelSelector(text))
    assert.strictEqual(matchesSelector(selector, labels), expected)
  })

  it.each(["team in", "=x", "team=a b", "a in (x"])("rejects %s", (text) => {
    assert.isTrue(Result.isFailure(parseLabelSelector(text)))
  })
})

describe("unified diff", () => {
  it("is empty for equal texts", () => {
    assert.strictEqual(unifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "")
  })

  it("shows a change with context and separate hunks far apart", () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index}`).join("\n")
    const after = before.replace("line 2", "line two").replace("line 17", "line seventeen")
    const text = unifiedDiff(before, after, "live", "desired")
    assert.strictEqual(text.split("\n").filter((line) => line.startsWith("@@")).length, 2)
    assert.include(text, "-line 2\n+line two")
    assert.include(text, "@@ -1,6 +1,6 @@")
  })

  it("treats a missing live document as all additions", () => {
    assert.strictEqual(unifiedDiff("", "a\nb\n", "live", "desired"), "--- live\n+++ desired\n@@ -1,0 +1,2 @@\n+a\n+b\n")
  })
})

describe("tables", () => {
  it("pads columns to the widest cell", () => {
    assert.strictEqual(renderTable(["NAME", "AGE"], [["web.main", "5s"], ["a", "10m"]]), "NAME       AGE\nweb.main   5s\na          10m")
  })

  it.each([[0, "0s"], [119_000, "119s"], [120_000, "2m"], [7_200_000, "2h"], [172_800_000, "2d"]])(
    "formats an age of %d ms as %s",
    (ms, text) => {
      assert.strictEqual(formatAge(0, ms), text)
    }
  )
})
