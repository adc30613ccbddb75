// Whether two values are the same JSON document, without writing either out: the answer
// `canonicalJson(a) === canonicalJson(b)` gives (same rules for undefined members, undefined in
// arrays and non-finite numbers), at the cost of a walk instead of two sorted serialisations.
// Hot paths compare statuses on every pass; this keeps those comparisons free of garbage.

const isJsonNull = (value: unknown) =>
  value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value)) ||
  typeof value === "function" || typeof value === "symbol" || typeof value === "bigint"

export const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (isJsonNull(a) || isJsonNull(b)) return isJsonNull(a) && isJsonNull(b)
  if (typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let index = 0; index < a.length; index++) if (!sameJson(a[index], b[index])) return false
    return true
  }
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  let members = 0
  for (const key in left) {
    if (!Object.hasOwn(left, key) || left[key] === undefined) continue
    members++
    if (right[key] === undefined || !Object.hasOwn(right, key) || !sameJson(left[key], right[key])) return false
  }
  for (const key in right) if (Object.hasOwn(right, key) && right[key] !== undefined) members--
  return members === 0
}
