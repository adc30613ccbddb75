// A small declarative reader for JSON request bodies with Play-JSON failure keys, because that
// is what Marathon's generated readers answer with (spec §2.2: 422 "Invalid JSON" with
// `{path, errors:["error.expected.jsstring"]}`). Objects drop fields they do not declare, as the
// generated readers do; `opaque` keeps a value untouched where the emulator has no model of it.

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
export type JsonObject = { readonly [k: string]: Json }

export type Shape =
  | {
    readonly t: "string"
    readonly minLength?: number
    readonly maxLength?: number
    readonly pattern?: RegExp
    readonly oneOf?: ReadonlyArray<string>
  }
  | { readonly t: "number"; readonly min?: number; readonly max?: number }
  | { readonly t: "int"; readonly min?: number; readonly max?: number }
  | { readonly t: "bool" }
  | { readonly t: "array"; readonly items: Shape; readonly minItems?: number; readonly maxItems?: number }
  | { readonly t: "object"; readonly fields: Readonly<Record<string, Shape>>; readonly required?: ReadonlyArray<string> }
  | { readonly t: "map"; readonly values: Shape }
  | { readonly t: "either"; readonly options: ReadonlyArray<Shape> }
  | { readonly t: "opaque" }

export interface PathErrors {
  readonly path: string
  readonly errors: Array<string>
}

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)

/** Reads `value` against `shape`; failures are appended to `errors` and the value dropped. */
export const read = (shape: Shape, value: Json, path: string, errors: Array<PathErrors>): Json | undefined => {
  const fail = (key: string): undefined => {
    const at = path === "" ? "/" : path
    const existing = errors.find((e) => e.path === at)
    if (existing === undefined) errors.push({ path: at, errors: [key] })
    else existing.errors.push(key)
    return undefined
  }
  switch (shape.t) {
    case "string": {
      if (typeof value !== "string") return fail("error.expected.jsstring")
      if (shape.oneOf !== undefined && !shape.oneOf.includes(value)) return fail("error.unknown.enum.literal")
      if (shape.minLength !== undefined && value.length < shape.minLength) return fail("error.minLength")
      if (shape.maxLength !== undefined && value.length > shape.maxLength) return fail("error.maxLength")
      if (shape.pattern !== undefined && !shape.pattern.test(value)) return fail("error.pattern")
      return value
    }
    case "number":
    case "int": {
      if (typeof value !== "number") return fail("error.expected.jsnumber")
      if (shape.t === "int" && !Number.isInteger(value)) return fail("error.expected.int")
      if (shape.min !== undefined && value < shape.min) return fail("error.min")
      if (shape.max !== undefined && value > shape.max) return fail("error.max")
      return value
    }
    case "bool":
      return typeof value === "boolean" ? value : fail("error.expected.jsboolean")
    case "array": {
      if (!Array.isArray(value)) return fail("error.expected.jsarray")
      const arr = value as ReadonlyArray<Json>
      if (shape.minItems !== undefined && arr.length < shape.minItems) return fail("error.minLength")
      if (shape.maxItems !== undefined && arr.length > shape.maxItems) return fail("error.maxLength")
      // map, not push: arrays sized exactly (stored definitions stay small).
      return arr.map((item, i) => read(shape.items, item, `${path}(${i})`, errors) ?? null)
    }
    case "object": {
      if (!isObject(value)) return fail("error.expected.jsobject")
      const out: Record<string, Json> = {}
      for (const key of shape.required ?? []) {
        if (value[key] === undefined || value[key] === null) {
          errors.push({ path: `${path}/${key}`, errors: ["error.path.missing"] })
        }
      }
      for (const [key, field] of Object.entries(shape.fields)) {
        const v = value[key]
        // Play's readNullable: an explicit null reads as "absent" (older Marathon wrote nulls).
        if (v === undefined || v === null) continue
        const r = read(field, v, `${path}/${key}`, errors)
        if (r !== undefined) out[key] = r
      }
      return out
    }
    case "map": {
      if (!isObject(value)) return fail("error.expected.jsobject")
      const out: Record<string, Json> = {}
      for (const [key, v] of Object.entries(value)) {
        const r = read(shape.values, v, `${path}/${key}`, errors)
        if (r !== undefined) out[key] = r
      }
      return out
    }
    case "either": {
      for (const option of shape.options) {
        const trial: Array<PathErrors> = []
        const r = read(option, value, path, trial)
        if (trial.length === 0) return r
      }
      return fail("error.invalid")
    }
    case "opaque":
      return value
  }
}

// Constructors, to keep the model in AppFields readable.
export const str = (o: Omit<Extract<Shape, { t: "string" }>, "t"> = {}): Shape => ({ t: "string", ...o })
export const num = (o: Omit<Extract<Shape, { t: "number" }>, "t"> = {}): Shape => ({ t: "number", ...o })
export const int = (o: Omit<Extract<Shape, { t: "int" }>, "t"> = {}): Shape => ({ t: "int", ...o })
export const bool: Shape = { t: "bool" }
export const opaque: Shape = { t: "opaque" }
export const arr = (items: Shape, o: { minItems?: number; maxItems?: number } = {}): Shape => ({ t: "array", items, ...o })
export const obj = (fields: Record<string, Shape>, required: ReadonlyArray<string> = []): Shape => ({ t: "object", fields, required })
export const map = (values: Shape): Shape => ({ t: "map", values })
export const either = (...options: ReadonlyArray<Shape>): Shape => ({ t: "either", options })
