// Pure: the text of one manifest file → validated ServiceInstance documents, or problems that each
// name file, line, column and field path. YAML aliases are bounded (an alias bomb is an error, not
// an out-of-memory), duplicate keys are errors, and every document is decoded with unknown fields
// rejected; a caller may add rules of its own (the Marathon field policy), reported the same way.
// Nothing here reads files or talks to etcd.
import { Result, Schema, SchemaIssue } from "effect"
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml"
import type { Document, Node } from "yaml"
import { GitSource, gitSourceKind } from "../../domain/GitSource.ts"
import { Notifier, notifierKind } from "../../domain/Notifier.ts"
import { ServiceInstance } from "../../domain/ServiceInstance.ts"

export interface InputProblem {
  readonly file: string
  readonly line: number
  readonly col: number
  /** Dotted field path such as `spec.bounce.marginFactor`; empty for document-level problems. */
  readonly path: string
  readonly message: string
}

export interface ManifestDocument {
  readonly file: string
  readonly line: number
  readonly document: ServiceInstance
}

/** A GitSource document of a manifest file (design.md §12); `apply` stores it beside the instances. */
export interface SourceDocument {
  readonly file: string
  readonly line: number
  readonly document: GitSource
}

/** A Notifier document of a manifest file (design.md §15). */
export interface NotifierDocument {
  readonly file: string
  readonly line: number
  readonly document: Notifier
}

export interface ParsedResources {
  readonly instances: ReadonlyArray<ManifestDocument>
  readonly sources: ReadonlyArray<SourceDocument>
  readonly notifiers: ReadonlyArray<NotifierDocument>
}

/** Extra rules for decoded documents; each refusal names the field by its path from the document root. */
export type ManifestCheck = (document: ServiceInstance) => ReadonlyArray<{
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}>

export const formatProblem = (problem: InputProblem): string =>
  `${problem.file}:${problem.line}:${problem.col}: ${problem.path === "" ? "" : `${problem.path}: `}${problem.message}`

/** Aliases a document may expand; far above any honest manifest, far below a billion laughs. */
export const maxAliasCount = 100

const decode = Schema.decodeUnknownResult(ServiceInstance, { onExcessProperty: "error", errors: "all" })
const decodeSource = Schema.decodeUnknownResult(GitSource, { onExcessProperty: "error", errors: "all" })
const decodeNotifier = Schema.decodeUnknownResult(Notifier, { onExcessProperty: "error", errors: "all" })

const kindOf = (value: unknown): unknown =>
  typeof value === "object" && value !== null && "kind" in value ? (value as { readonly kind: unknown }).kind : undefined
const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Maps-with-key-rules report a bad key as an excess property; say what the rule is instead. */
const friendlier = (path: ReadonlyArray<PropertyKey>, message: string): string => {
  if (message === "Expected never") return "unknown field"
  if (message !== "Expected no excess property") return message
  const parent = path.slice(0, -1).join(".")
  if (parent === "spec.env") return "environment variable names are [A-Za-z_][A-Za-z0-9_]*"
  if (parent === "metadata.labels" || parent === "metadata.annotations") {
    return "keys are \"[prefix/]name\", name at most 63 characters of [A-Za-z0-9_.-]"
  }
  return "unknown field"
}

const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, segment) => typeof segment === "number" ? `${text}[${segment}]` : text === "" ? String(segment) : `${text}.${String(segment)}`,
    ""
  )

/**
 * The source offset of the node at `path`, or of its deepest existing ancestor. For the last
 * segment the key is preferred over the value, so "unknown field" points at the field's name.
 */
const offsetOf = (document: Document, path: ReadonlyArray<PropertyKey>): number => {
  let node: unknown = document.contents
  let offset = (document.contents as Node | null)?.range?.[0] ?? 0
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment))
      if (pair === undefined) break
      const keyNode = pair.key as Node
      const valueNode = pair.value as Node | null
      offset = (last ? keyNode.range?.[0] : valueNode?.range?.[0] ?? keyNode.range?.[0]) ?? offset
      node = valueNode
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined
      if (item === undefined) break
      offset = item.range?.[0] ?? offset
      node = item
    } else {
      break
    }
  }
  return offset
}

/** Parses and validates every document of one file: the ServiceInstances only (GitSources are left out). */
export const parseManifests = (
  file: string,
  text: string,
  check?: ManifestCheck
): Result.Result<ReadonlyArray<ManifestDocument>, ReadonlyArray<InputProblem>> =>
  Result.map(parseResources(file, text, check), (parsed) => parsed.instances)

/**
 * Parses and validates every document of one file, ServiceInstances, GitSources and Notifiers (told apart by
 * `kind`). Empty documents (a trailing `---`) are skipped.
 */
export const parseResources = (
  file: string,
  text: string,
  check?: ManifestCheck
): Result.Result<ParsedResources, ReadonlyArray<InputProblem>> => {
  const lineCounter = new LineCounter()
  const position = (offset: number) => lineCounter.linePos(offset)
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  const documents = Array.isArray(parsed) ? parsed : []
  const problems: Array<InputProblem> = []
  const accepted: Array<ManifestDocument> = []
  const sources: Array<SourceDocument> = []
  const notifiers: Array<NotifierDocument> = []

  for (const document of documents) {
    const start = position((document.contents as Node | null)?.range?.[0] ?? 0)
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const at = error.linePos?.[0] ?? start
        const message = (error.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, "")
        problems.push({ file, line: at.line, col: at.col, path: "", message })
      }
      continue
    }
    if (document.contents === null) continue
    let value: unknown
    try {
      value = document.toJS({ maxAliasCount })
    } catch (error) {
      problems.push({ file, line: start.line, col: start.col, path: "", message: error instanceof Error ? error.message : String(error) })
      continue
    }
    if (value === null || value === undefined) continue
    const isSource = kindOf(value) === gitSourceKind
    const isNotifier = kindOf(value) === notifierKind
    const decoded: Result.Result<ServiceInstance | GitSource | Notifier, Schema.SchemaError> = isSource
      ? decodeSource(value)
      : isNotifier
      ? decodeNotifier(value)
      : decode(value)
    if (Result.isFailure(decoded)) {
      for (const issue of formatter(decoded.failure.issue).issues) {
        const path = (issue.path ?? []).map((segment) =>
          typeof segment === "object" && segment !== null && "key" in segment ? segment.key : segment
        ) as ReadonlyArray<PropertyKey>
        const at = position(offsetOf(document, path))
        problems.push({ file, line: at.line, col: at.col, path: pathText(path), message: friendlier(path, issue.message) })
      }
      continue
    }
    if (isNotifier) {
      notifiers.push({ file, line: start.line, document: decoded.success as Notifier })
      continue
    }
    if (isSource) {
      sources.push({ file, line: start.line, document: decoded.success as GitSource })
      continue
    }
    const instance = decoded.success as ServiceInstance
    const refused = check?.(instance) ?? []
    for (const { path, message } of refused) {
      const at = position(offsetOf(document, path))
      problems.push({ file, line: at.line, col: at.col, path: pathText(path), message })
    }
    if (refused.length === 0) accepted.push({ file, line: start.line, document: instance })
  }
  return problems.length > 0 ? Result.fail(problems) : Result.succeed({ instances: accepted, sources, notifiers })
}

/** Problems for names that appear more than once in one invocation, pointing at every repeat. */
export const duplicateNames = (
  documents: ReadonlyArray<
    { readonly file: string; readonly line: number; readonly document: { readonly metadata: { readonly name: string } } }
  >
): ReadonlyArray<InputProblem> => {
  const first = new Map<string, { readonly file: string; readonly line: number }>()
  const problems: Array<InputProblem> = []
  for (const entry of documents) {
    const name = entry.document.metadata.name
    const earlier = first.get(name)
    if (earlier === undefined) first.set(name, entry)
    else {
      problems.push({
        file: entry.file,
        line: entry.line,
        col: 1,
        path: "metadata.name",
        message: `duplicate name ${name} (first at ${earlier.file}:${earlier.line})`
      })
    }
  }
  return problems
}
