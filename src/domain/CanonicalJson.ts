// Canonical JSON: object keys sorted at every depth, no whitespace. Two values are the same
// document exactly when their canonical forms are equal. App identity hashes it (ConfigHash: any
// change here changes every app id), and the store's "did the spec change?" check compares it.

/**
 * JSON text with object keys sorted by code unit at every depth. Follows JSON.stringify for
 * everything else: `undefined` members are dropped, `undefined` in arrays becomes null,
 * non-finite numbers become null.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null"
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(",")}}`
  }
  // Functions, symbols and bigints have no JSON form; they never come out of a decoded spec.
  return "null"
}
