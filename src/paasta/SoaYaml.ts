// Pure: one soa-configs YAML file → its top-level blocks as plain values, each with the line it
// starts on and the line of each of its own keys, so every report can name `file:line`. YAML 1.1
// merge keys (`<<: *template`) are honoured, as PaaSTA's loader does; a key a block only inherits
// through `<<` is located at that `<<` line, the place a reader would look. Aliases are bounded
// like `apply`'s, so a hostile tree cannot blow up the importer.
import { isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml"
import type { Node, Pair } from "yaml"

/** The same alias bound `apply` uses: far above any honest tree, far below a billion laughs. */
const maxAliasCount = 100

export interface SoaBlock {
  /** The line of the block's own key in the file (1 for a whole-file block). */
  readonly line: number
  readonly value: Readonly<Record<string, unknown>>
  /** Line of a key of this block; the merge-key line for inherited keys, the block line otherwise. */
  readonly lineOf: (key: string) => number
}

export interface SoaYaml {
  /** The whole file as one block (service.yaml). */
  readonly file: SoaBlock
  /** Each top-level key as a block (marathon-<cluster>.yaml instances, smartstack.yaml namespaces). */
  readonly blocks: ReadonlyMap<string, SoaBlock>
}

export interface SoaYamlError {
  readonly line: number
  readonly message: string
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const blockOf = (node: unknown, line: number, value: unknown, position: (offset: number) => number): SoaBlock => {
  const lines = new Map<string, number>()
  let mergeLine: number | undefined
  if (isMap(node)) {
    for (const item of node.items as Array<Pair>) {
      if (!isPair(item) || !isScalar(item.key)) continue
      const keyLine = position((item.key as Node).range?.[0] ?? 0)
      // With merge keys on, `<<` parses as a symbol; its source text is still "<<".
      const key = typeof item.key.value === "symbol" ? item.key.source ?? "<<" : String(item.key.value)
      if (key === "<<") mergeLine ??= keyLine
      else lines.set(key, keyLine)
    }
  }
  return {
    line,
    value: isRecord(value) ? value : {},
    lineOf: (key) => lines.get(key) ?? mergeLine ?? line
  }
}

/** Parses one file; an empty file is an empty block. Problems come back with their line. */
export const parseSoaYaml = (text: string): { readonly yaml?: SoaYaml; readonly errors: ReadonlyArray<SoaYamlError> } => {
  const lineCounter = new LineCounter()
  const position = (offset: number) => lineCounter.linePos(offset).line
  const document = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true })
  if (document.errors.length > 0) {
    return {
      errors: document.errors.map((error) => ({
        line: error.linePos?.[0].line ?? 1,
        message: (error.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, "")
      }))
    }
  }
  let value: unknown
  try {
    value = document.toJS({ maxAliasCount })
  } catch (error) {
    return { errors: [{ line: 1, message: error instanceof Error ? error.message : String(error) }] }
  }
  if (value !== null && value !== undefined && !isRecord(value)) {
    return { errors: [{ line: 1, message: "expected a mapping at the top level" }] }
  }
  const root = document.contents
  const blocks = new Map<string, SoaBlock>()
  if (isMap(root)) {
    for (const item of root.items as Array<Pair>) {
      if (!isPair(item) || !isScalar(item.key)) continue
      if (typeof item.key.value === "symbol") continue
      const key = String(item.key.value)
      const line = position((item.key as Node).range?.[0] ?? 0)
      blocks.set(key, blockOf(item.value, line, (value as Record<string, unknown>)[key], position))
    }
  }
  return { yaml: { file: blockOf(root, 1, value ?? {}, position), blocks }, errors: [] }
}
