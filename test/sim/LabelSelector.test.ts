// The label selector grammar of spec §1.1.1, as a pure function.
import { assert, describe, it } from "@effect/vitest"
import { parseSelector, SelectorParseError } from "../../src/sim/apps/LabelSelector.ts"

describe("label selectors", () => {
  const labels = { env: "prod", tier: "front end", "a.b": "x" }
  const matches = (q: string) => parseSelector(q)(labels)

  it("existence, equality, sets, conjunction", () => {
    assert.isTrue(matches("env"))
    assert.isTrue(matches("env==prod"))
    assert.isFalse(matches("env!=prod"))
    assert.isTrue(matches("env in (dev, prod)"))
    assert.isFalse(matches("env notin (prod)"))
    assert.isTrue(matches("env, a.b==x"))
    assert.isFalse(matches("env, missing"))
  })

  it("every form requires the key, even != and notin", () => {
    assert.isFalse(matches("missing!=x"))
    assert.isFalse(matches("missing notin (x)"))
    assert.isFalse(parseSelector("constructor")({}))
  })

  it("a backslash escapes characters outside [-A-Za-z0-9_.]", () => {
    assert.isTrue(matches("tier==front\\ end"))
  })

  it("malformed selectors fail with Marathon's message", () => {
    for (const q of ["env==(", "env in (a", "env==", "env == prod ==", "==x", "env=prod"]) {
      assert.throws(() => parseSelector(q), SelectorParseError)
    }
    assert.throws(() => parseSelector("env==("), /^Can not parse label selector env==\(\. Reason: /)
  })
})
