// Reads Marathon's RAML type libraries (test/fixtures/marathon-api/v2/types) and turns named types
// into JSON Schemas for ajv, so response bodies are checked against the artefacts themselves.
// Covers the RAML 1.0 subset those files use: objects (open by default), optional `?`
// properties, pattern properties, arrays and `X[]`, unions, inheritance, enums and facets.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { parse } from "yaml"

type Decl = Record<string, unknown>
type JsonSchema = Record<string, unknown>

const builtins: Record<string, JsonSchema> = {
  string: { type: "string" },
  number: { type: "number" },
  integer: { type: "integer" },
  boolean: { type: "boolean" },
  object: { type: "object" },
  array: { type: "array" },
  datetime: { type: "string", format: "date-time" },
  "date-only": { type: "string" },
  any: {},
  nil: { type: "null" },
  file: {}
}

const facets = ["enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"] as const

export class RamlSchemas {
  /** `$defs` of every type reached so far, keyed `file#Type`. */
  readonly defs: Record<string, JsonSchema> = {}
  private readonly files = new Map<string, { types: Record<string, unknown>; uses: Record<string, string> }>()
  private readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  private load(file: string) {
    let lib = this.files.get(file)
    if (lib === undefined) {
      const doc = parse(readFileSync(join(this.dir, file), "utf8")) as Record<string, unknown>
      lib = { types: (doc["types"] ?? {}) as Record<string, unknown>, uses: (doc["uses"] ?? {}) as Record<string, string> }
      this.files.set(file, lib)
    }
    return lib
  }

  /** A `$ref` schema for `file#Type`, converting it (and what it uses) on first sight. */
  ref(file: string, name: string): JsonSchema {
    const key = `${file.replace(/\.raml$/, "")}.${name}`
    if (!(key in this.defs)) {
      this.defs[key] = {}
      const decl = this.load(file).types[name]
      if (decl === undefined) throw new Error(`RAML type ${name} not found in ${file}`)
      this.defs[key] = this.decl(file, decl)
    }
    return { $ref: `#/$defs/${key}` }
  }

  /** A complete schema document for one named type. */
  schema(file: string, name: string): JsonSchema {
    const root = this.ref(file, name)
    return { ...root, $defs: this.defs }
  }

  private expr(file: string, text: string): JsonSchema {
    let t = text.trim()
    if (t.startsWith("(") && t.endsWith(")") && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim()
    const parts = splitUnion(t)
    if (parts.length > 1) return { anyOf: parts.map((p) => this.expr(file, p)) }
    if (t.endsWith("[]")) return { type: "array", items: this.expr(file, t.slice(0, -2)) }
    if (t.endsWith("?")) return { anyOf: [this.expr(file, t.slice(0, -1)), { type: "null" }] }
    const builtin = builtins[t]
    if (builtin !== undefined) return { ...builtin }
    const dot = t.indexOf(".")
    if (dot > 0) {
      const target = this.load(file).uses[t.slice(0, dot)]
      if (target === undefined) throw new Error(`unknown RAML library alias in ${t} (${file})`)
      return this.ref(join(dirname(file), target), t.slice(dot + 1))
    }
    return this.ref(file, t)
  }

  private decl(file: string, d: unknown): JsonSchema {
    if (typeof d === "string") return this.expr(file, d)
    if (typeof d !== "object" || d === null) return {}
    const decl = d as Decl
    const typeText = typeof decl["type"] === "string"
      ? decl["type"]
      : decl["properties"] !== undefined
      ? "object"
      : decl["items"] !== undefined
      ? "array"
      : "string"
    const base = this.expr(file, typeText)
    const own: JsonSchema = {}
    for (const f of facets) if (decl[f] !== undefined) own[f] = decl[f]
    if (decl["items"] !== undefined) own["items"] = this.decl(file, decl["items"])
    if (decl["properties"] !== undefined) Object.assign(own, this.properties(file, decl["properties"] as Decl))
    if (Object.keys(own).length === 0) return base
    if (base["$ref"] !== undefined || base["anyOf"] !== undefined) return { allOf: [base, own] }
    return { ...base, ...own }
  }

  private properties(file: string, props: Decl): JsonSchema {
    const properties: Record<string, JsonSchema> = {}
    const patternProperties: Record<string, JsonSchema> = {}
    const required: Array<string> = []
    for (const [rawKey, value] of Object.entries(props)) {
      if (rawKey.startsWith("/") && rawKey.endsWith("/")) {
        patternProperties[rawKey.slice(1, -1)] = this.decl(file, value)
        continue
      }
      const optional = rawKey.endsWith("?") || (typeof value === "object" && value !== null && (value as Decl)["required"] === false)
      const key = rawKey.endsWith("?") ? rawKey.slice(0, -1) : rawKey
      properties[key] = this.decl(file, value)
      if (!optional) required.push(key)
    }
    const out: JsonSchema = { type: "object", properties }
    if (Object.keys(patternProperties).length > 0) out["patternProperties"] = patternProperties
    if (required.length > 0) out["required"] = required
    return out
  }
}

const balanced = (t: string): boolean => {
  let depth = 0
  for (const ch of t) {
    if (ch === "(") depth++
    if (ch === ")" && --depth < 0) return false
  }
  return depth === 0
}

const splitUnion = (t: string): Array<string> => {
  const out: Array<string> = []
  let depth = 0
  let current = ""
  for (const ch of t) {
    if (ch === "(") depth++
    if (ch === ")") depth--
    if (ch === "|" && depth === 0) {
      out.push(current.trim())
      current = ""
    } else current += ch
  }
  out.push(current.trim())
  return out
}
