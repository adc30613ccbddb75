// Pure: Kubernetes label selectors for `get -l`: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
// `k notin (a,b)`, `k` (exists) and `!k` (absent), comma-separated and all required.
import { Result } from "effect"

export type Requirement =
  | { readonly op: "in"; readonly key: string; readonly values: ReadonlyArray<string> }
  | { readonly op: "notin"; readonly key: string; readonly values: ReadonlyArray<string> }
  | { readonly op: "exists"; readonly key: string }
  | { readonly op: "absent"; readonly key: string }

export type LabelSelector = ReadonlyArray<Requirement>

const key = "[A-Za-z0-9][A-Za-z0-9_./-]*"
const value = "[A-Za-z0-9_.-]*"
const patterns: ReadonlyArray<[RegExp, (match: RegExpMatchArray) => Requirement]> = [
  [new RegExp(`^(${key})\\s*(==|=)\\s*(${value})$`), (m) => ({ op: "in", key: m[1]!, values: [m[3]!] })],
  [new RegExp(`^(${key})\\s*!=\\s*(${value})$`), (m) => ({ op: "notin", key: m[1]!, values: [m[2]!] })],
  [new RegExp(`^(${key})\\s+(in|notin)\\s*\\(([^)]*)\\)$`), (m) => ({
    op: m[2] === "in" ? "in" : "notin",
    key: m[1]!,
    values: m[3]!.split(",").map((v) => v.trim()).filter((v) => v !== "")
  })],
  [new RegExp(`^!\\s*(${key})$`), (m) => ({ op: "absent", key: m[1]! })],
  [new RegExp(`^(${key})$`), (m) => ({ op: "exists", key: m[1]! })]
]

/** Splits on commas outside parentheses. */
const clauses = (text: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let current = ""
  for (const char of text) {
    if (char === "(") depth++
    if (char === ")") depth--
    if (char === "," && depth === 0) {
      parts.push(current)
      current = ""
    } else current += char
  }
  parts.push(current)
  return parts.map((part) => part.trim()).filter((part) => part !== "")
}

export const parseLabelSelector = (text: string): Result.Result<LabelSelector, string> => {
  const requirements: Array<Requirement> = []
  for (const clause of clauses(text)) {
    const parsed = patterns.map(([pattern, build]) => {
      const match = clause.match(pattern)
      return match === null ? undefined : build(match)
    }).find((requirement) => requirement !== undefined)
    if (parsed === undefined) return Result.fail(`invalid label selector clause "${clause}"`)
    requirements.push(parsed)
  }
  return Result.succeed(requirements)
}

export const matchesSelector = (selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean =>
  selector.every((requirement) => {
    const has = Object.hasOwn(labels, requirement.key)
    switch (requirement.op) {
      case "in":
        return has && requirement.values.includes(labels[requirement.key]!)
      case "notin":
        return !has || !requirement.values.includes(labels[requirement.key]!)
      case "exists":
        return has
      case "absent":
        return !has
    }
  })
