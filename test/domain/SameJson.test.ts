import { describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/domain/CanonicalJson.ts"
import { sameJson } from "../../src/domain/SameJson.ts"

// sameJson must answer exactly what comparing canonical JSON texts answers.
const values: ReadonlyArray<unknown> = [
  undefined,
  null,
  0,
  1,
  Number.NaN,
  Infinity,
  "",
  "a",
  true,
  false,
  [],
  {},
  [1, 2],
  [2, 1],
  [undefined],
  [null],
  [Number.NaN],
  { a: 1 },
  { a: 1, b: undefined },
  { a: null },
  { a: undefined },
  { b: 2, a: 1 },
  { a: 1, b: 2 },
  { a: { x: [1, { y: "z" }] } },
  { a: { x: [1, { y: "z", w: undefined }] } },
  { a: { x: [1, { y: "Z" }] } },
  { a: [] },
  { a: {} },
  { lastReconcile: { result: "Success", error: undefined }, phase: "Running" },
  { phase: "Running", lastReconcile: { result: "Success" } }
]

describe("sameJson", () => {
  it("agrees with comparing canonicalJson texts on every pair", () => {
    for (const a of values) {
      for (const b of values) {
        expect(sameJson(a, b), `${canonicalJson(a)} vs ${canonicalJson(b)}`).toBe(canonicalJson(a) === canonicalJson(b))
      }
    }
  })
})
