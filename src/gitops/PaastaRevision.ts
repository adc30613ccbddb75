// A GitSource of format paasta (design.md §12, §14): the revision's soa-configs tree under the
// source's path, converted service by service with the converter `mdeploy import paasta` uses.
// Errors (a file that does not parse, a denied Marathon field) make the whole revision invalid, as
// an invalid manifest does. A skipped instance (no image for it in deployments.json, an invalid
// value) keeps its stored spec as it is, neither rewritten nor pruned: PaaSTA, too, leaves a
// running instance alone when it cannot deploy it. Keys not carried over are warnings. Pure.
import type { InputProblem, ManifestCheck, ManifestDocument } from "../cli/input/parseManifests.ts"
import { defaultMarathonFieldPolicy } from "../domain/MarathonFieldPolicy.ts"
import { formatReport, importService } from "../paasta/ImportPaasta.ts"
import type { TreeFile } from "./GitCache.ts"

export interface PaastaOptions {
  readonly cluster: string
  readonly dockerRegistry?: string | undefined
  /** The operator's rules for every instance (the controller's Marathon field policy). */
  readonly check?: ManifestCheck | undefined
}

export interface PaastaRevision {
  readonly documents: ReadonlyArray<ManifestDocument>
  readonly problems: ReadonlyArray<InputProblem>
  /** Instances skipped this revision: their stored specs stay as they are. */
  readonly keep: ReadonlyArray<string>
  /** `file:line: key: message` of every key not carried over and every instance skipped. */
  readonly warnings: ReadonlyArray<string>
}

/** The files the converter reads for `cluster`. */
const wanted = (cluster: string) => new Set(["service.yaml", `marathon-${cluster}.yaml`, "smartstack.yaml", "deployments.json"])

/** The tree's files the conversion needs, with their service (the directory right under `base`). */
export const paastaFiles = (files: ReadonlyArray<TreeFile>, base: string, cluster: string) => {
  const root = base.replace(/^\.?\/*/, "").replace(/\/+$/, "")
  const names = wanted(cluster)
  return files.flatMap((file) => {
    const relative = root === "" ? file.path : file.path.slice(root.length + 1)
    const parts = relative.split("/")
    return parts.length === 2 && names.has(parts[1]!) && !parts[0]!.startsWith(".")
      ? [{ ...file, service: parts[0]!, name: parts[1]! }]
      : []
  })
}

/** Converts the services of `files` (paastaFiles' answer) whose texts are in `texts` (by blob id). */
export const convertPaasta = (
  files: ReturnType<typeof paastaFiles>,
  texts: ReadonlyMap<string, string>,
  base: string,
  options: PaastaOptions
): PaastaRevision => {
  const prefix = base.replace(/^\.?\/*/, "").replace(/\/+$/, "")
  const inRepo = (path: string) => (prefix === "" ? path : `${prefix}/${path}`)
  const services = new Map<string, Map<string, string>>()
  for (const file of files) {
    const service = services.get(file.service) ?? new Map<string, string>()
    service.set(file.name, texts.get(file.blob) ?? "")
    services.set(file.service, service)
  }
  const documents: Array<ManifestDocument> = []
  const problems: Array<InputProblem> = []
  const keep: Array<string> = []
  const warnings: Array<string> = []
  for (const [service, serviceFiles] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    const result = importService({ service, files: serviceFiles }, {
      cluster: options.cluster,
      dockerRegistry: options.dockerRegistry,
      policy: defaultMarathonFieldPolicy
    })
    for (const report of result.reports) {
      if (report.severity === "error") {
        problems.push({ file: inRepo(report.file), line: report.line, col: 1, path: report.key, message: report.message })
      } else warnings.push(formatReport({ ...report, file: inRepo(report.file) }))
    }
    keep.push(...result.skipped)
    for (const imported of result.documents) {
      for (const violation of options.check?.(imported.document) ?? []) {
        problems.push({
          file: inRepo(imported.file),
          line: imported.line,
          col: 1,
          path: violation.path.map(String).join("."),
          message: violation.message
        })
      }
      documents.push({ ...imported, file: inRepo(imported.file) })
    }
  }
  return { documents, problems, keep, warnings }
}
