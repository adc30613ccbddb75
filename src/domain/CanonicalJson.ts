// Canonical JSON: object keys sorted at every depth, no whitespace. Two values are the same
// document exactly when their canonical forms are equal; app-identity hashing and the store's
// "did the spec change?" check both rely on it.

const canonicalize = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonicalize)
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key]
      if (field !== undefined) sorted[key] = canonicalize(field)
    }
    return sorted
  }
  return value
}

export const canonicalJson = (value: unknown): string => JSON.stringify(canonicalize(value))
