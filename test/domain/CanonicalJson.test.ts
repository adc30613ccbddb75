// canonicalJson decides every app id (ConfigHash): its output may never change. Checked against
// the plain definition (sort the entries, drop undefined members, join) on random JSON-like values,
// with keys that sort differently by code unit than by locale, and JSON.stringify's corner cases.
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { canonicalJson } from "../../src/domain/CanonicalJson.ts"

const reference = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null"
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => reference(item)).join(",")}]`
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(",")}}`
  }
  return "null"
}

const keys = fc.oneof(fc.string(), fc.constantFrom("a", "B", "_", "é", "Z", "\u{1F600}", "aa", "a\u0000", "10", "9", ""))
const leaves = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 5e-7)
)
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaves, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(keys, tie("value"), { maxKeys: 6 })
})).value

describe("canonicalJson", () => {
  it("is the sorted, undefined-free JSON of any value", () => {
    fc.assert(fc.property(values, (value) => canonicalJson(value) === reference(value)), { numRuns: 2_000 })
  })

  it("sorts keys by code unit at every depth", () => {
    assert.strictEqual(canonicalJson({ b: 1, a: { z: [1, { y: 2, x: undefined }], B: true } }), `{"a":{"B":true,"z":[1,{"y":2}]},"b":1}`)
  })
})
