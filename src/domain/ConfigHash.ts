// The config hash of an app definition (design.md §2, CONTRACT): first 8 hex chars of a SHA-256
// digest of canonical JSON (object keys sorted, no whitespace) followed by spec.forceBounce.
// THE ONE PLACE THAT IMPORTS node:crypto — kept pure (same input, same output, no I/O).
// Changing anything here changes every app id, i.e. bounces every service in every cluster.
import { createHash } from "node:crypto"

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

/** `hash8` of the app id: the first 8 lowercase hex chars of sha256(canonicalJson(value) + forceBounce). */
export const configHash = (value: unknown, forceBounce: string): string =>
  createHash("sha256").update(canonicalJson(value) + forceBounce, "utf8").digest("hex").slice(0, 8)
