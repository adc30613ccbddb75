// Canonical JSON: object keys sorted at every depth, no whitespace. Two values are the same
// document exactly when their canonical forms are equal. App identity hashes it (ConfigHash: any
// change here changes every app id), and the store's "did the spec change?" check compares it.

/**
 * JSON text with object keys sorted by code unit at every depth. Follows JSON.stringify for
 * everything else: `undefined` members are dropped, `undefined` in arrays becomes null,
 * non-finite numbers become null.
 */
export const canonicalJson = (value: unknown): string => {
  // Written as a loop of string appends, not entries/filter/sort/map/join: it hashes every app
  // definition a controller meets, and the intermediate arrays were most of its cost.
  if (value === null || value === undefined) return "null"
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null"
    case "string":
      return JSON.stringify(value)
    case "boolean":
      return value ? "true" : "false"
    case "object": {
      if (Array.isArray(value)) {
        let text = "["
        for (let index = 0; index < value.length; index++) {
          if (index > 0) text += ","
          text += canonicalJson(value[index])
        }
        return `${text}]`
      }
      const record = value as Record<string, unknown>
      // Default sort: by UTF-16 code unit, as the comparison of strings with < does.
      const keys = Object.keys(record).sort()
      let text = "{"
      for (const key of keys) {
        const member = record[key]
        if (member === undefined) continue
        if (text.length > 1) text += ","
        text += `${JSON.stringify(key)}:${canonicalJson(member)}`
      }
      return `${text}}`
    }
  }
  // Functions, symbols and bigints have no JSON form; they never come out of a decoded spec.
  return "null"
}
