// Reads the keys of one merged PaaSTA instance config with their expected types, remembering which
// keys were read so the importer can report every other key as `not mapped`. A value of the wrong
// type is reported (and treated as absent) instead of being passed on for apply to refuse later
// without the soa-configs line.
import { Schema } from "effect"

export interface KeyNote {
  /** The PaaSTA key, dotted below the top level (`bounce_health_params.check_haproxy`). */
  readonly key: string
  readonly message: string
}

const isFinite = Schema.is(Schema.Finite)
const isString = Schema.is(Schema.String)
const isRecord = Schema.is(Schema.Record(Schema.String, Schema.Unknown))
const isArray = Schema.is(Schema.Array(Schema.Unknown))

export const notMapped = "not mapped"

export class ConfigReader {
  readonly notes: Array<KeyNote> = []
  private readonly read = new Set<string>()

  readonly config: Readonly<Record<string, unknown>>

  constructor(config: Readonly<Record<string, unknown>>) {
    this.config = config
  }

  note(key: string, message: string): void {
    this.notes.push({ key, message })
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null
  }

  /** Marks a key as consumed and returns its raw value (null counts as absent, as in PaaSTA). */
  raw(key: string): unknown {
    this.read.add(key)
    const value = this.config[key]
    return value === null ? undefined : value
  }

  private typed<A>(key: string, guard: (value: unknown) => value is A, expected: string): A | undefined {
    const value = this.raw(key)
    if (value === undefined) return undefined
    if (guard(value)) return value
    this.note(key, `expected ${expected}; ignored`)
    return undefined
  }

  number(key: string): number | undefined {
    return this.typed(key, isFinite, "a number")
  }

  string(key: string): string | undefined {
    return this.typed(key, isString, "a string")
  }

  record(key: string): Readonly<Record<string, unknown>> | undefined {
    return this.typed(key, isRecord, "a mapping")
  }

  array(key: string): ReadonlyArray<unknown> | undefined {
    return this.typed(key, isArray, "a list")
  }

  /** Every key never read, except `ignored` ones, as `not mapped`, in the config's own order. */
  unread(ignored: ReadonlySet<string>): ReadonlyArray<string> {
    return Object.keys(this.config).filter((key) => !this.read.has(key) && !ignored.has(key))
  }
}

/** YAML scalars as Marathon and the environment want them: strings, numbers without a trailing ".0". */
export const scalarText = (value: unknown): string =>
  typeof value === "string"
    ? value
    : value === null || value === undefined
    ? ""
    : typeof value === "object"
    ? JSON.stringify(value)
    : String(value)

export { isArray, isRecord }
