// Pure: the files of one soa-configs service directory → ServiceInstance documents for one cluster
// (design.md §14). `service.yaml` is deep-merged under every block of `marathon-<cluster>.yaml`
// whose name does not start with `_` (those are templates for YAML anchors); `deployments.json`
// (v1 or v2) gives the image, git sha, desired state and force bounce. Every key that could not be
// carried over, every instance skipped and every field `apply` would refuse is reported as
// `file:line: key: message`; documents come out decoded by the very schema `apply` uses.
import { Option, Result, Schema, SchemaIssue } from "effect"
import { InstanceName } from "../domain/InstanceName.ts"
import type { MarathonFieldPolicy } from "../domain/MarathonFieldPolicy.ts"
import { marathonFieldViolations } from "../domain/MarathonFieldPolicy.ts"
import { ServiceInstance } from "../domain/ServiceInstance.ts"
import { isRecord } from "./ConfigReader.ts"
import { deploymentFor, parseDeploymentsJson } from "./DeploymentsJson.ts"
import type { DeploymentsFile } from "./DeploymentsJson.ts"
import { mapInstance } from "./MapInstance.ts"
import { parseSoaYaml } from "./SoaYaml.ts"
import type { SoaBlock, SoaYaml } from "./SoaYaml.ts"

export interface SoaService {
  readonly service: string
  /** File name in the service directory → its text; only the files the importer reads need be here. */
  readonly files: ReadonlyMap<string, string>
}

export interface ImportOptions {
  readonly cluster: string
  readonly dockerRegistry?: string | undefined
  readonly policy: MarathonFieldPolicy
}

export interface ImportReport {
  /**
   * error: a file or instance cannot be used as written (syntax, a denied Marathon field);
   * skipped: an instance left out (no image in deployments.json, an invalid name or value);
   * warning: a key not carried over. GitOps refuses a revision with errors, keeps the specs of
   * skipped instances as they are, and only reports warnings.
   */
  readonly severity: "error" | "skipped" | "warning"
  /** Path relative to the soa dir: `<service>/<file>`. */
  readonly file: string
  readonly line: number
  readonly key: string
  readonly message: string
}

export interface ImportedInstance {
  readonly file: string
  readonly line: number
  readonly document: ServiceInstance
}

export interface ImportResult {
  readonly documents: ReadonlyArray<ImportedInstance>
  readonly reports: ReadonlyArray<ImportReport>
  /** `<service>.<instance>` names of the instances skipped (see ImportReport.severity). */
  readonly skipped: ReadonlyArray<string>
}

export const formatReport = (report: ImportReport): string => `${report.file}:${report.line}: ${report.key}: ${report.message}`

const decode = Schema.decodeUnknownResult(ServiceInstance, { onExcessProperty: "error", errors: "all" })
const isInstanceName = Schema.is(InstanceName)
const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** PaaSTA's deep merge: the instance wins, mappings present on both sides are merged key by key. */
const deepMerge = (defaults: Readonly<Record<string, unknown>>, overrides: Readonly<Record<string, unknown>>) => {
  const merged: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key]
    merged[key] = isRecord(base) && isRecord(value) ? deepMerge(base, value) : value
  }
  return merged
}

const parsed = (service: string, name: string, text: string | undefined, reports: Array<ImportReport>): SoaYaml | undefined => {
  if (text === undefined) return undefined
  const { errors, yaml } = parseSoaYaml(text)
  for (const error of errors) {
    reports.push({ severity: "error", file: `${service}/${name}`, line: error.line, key: name, message: error.message })
  }
  return yaml
}

export const importService = (source: SoaService, options: ImportOptions): ImportResult => {
  const { service } = source
  const reports: Array<ImportReport> = []
  const documents: Array<ImportedInstance> = []
  const skipped: Array<string> = []
  const instancesName = `marathon-${options.cluster}.yaml`
  const instancesFile = `${service}/${instancesName}`
  const instances = parsed(service, instancesName, source.files.get(instancesName), reports)
  if (instances === undefined) return { documents, reports: tidy(reports), skipped }
  const defaults = parsed(service, "service.yaml", source.files.get("service.yaml"), reports)
  const smartstack = parsed(service, "smartstack.yaml", source.files.get("smartstack.yaml"), reports)

  let deployments: DeploymentsFile | undefined
  const deploymentsText = source.files.get("deployments.json")
  if (deploymentsText !== undefined) {
    const result = parseDeploymentsJson(deploymentsText)
    if (Result.isSuccess(result)) deployments = result.success
    else {for (const message of result.failure) {
        reports.push({ severity: "error", file: `${service}/deployments.json`, line: 1, key: "deployments.json", message })
      }}
  }

  for (const [instance, block] of instances.blocks) {
    if (instance.startsWith("_")) continue
    const at = (severity: ImportReport["severity"], key: string, message: string): ImportReport => {
      const top = key.split(".")[0]!
      return top in block.value || defaults === undefined || !(top in defaults.file.value)
        ? { severity, file: instancesFile, line: block.lineOf(top), key, message }
        : { severity, file: `${service}/service.yaml`, line: defaults.file.lineOf(top), key, message }
    }
    const skip = (message: string) => {
      skipped.push(`${service}.${instance}`)
      reports.push({ severity: "skipped", file: instancesFile, line: block.line, key: instance, message: `${message}; skipped` })
    }
    const name = `${service}.${instance}`
    if (!isInstanceName(name)) {
      skip(`${name} is not a valid instance name (lowercase [a-z0-9_-], no "--", "-_" or "_-")`)
      continue
    }
    const config = deepMerge(defaults?.file.value ?? {}, block.value)
    const group = typeof config["deploy_group"] === "string" ? config["deploy_group"] : `${options.cluster}.${instance}`
    const deployGroup = group.replaceAll("{cluster}", options.cluster).replaceAll("{instance}", instance).replaceAll("{service}", service)
    const deployment = deployments === undefined
      ? Option.none()
      : deploymentFor(deployments, { service, cluster: options.cluster, instance, deployGroup })
    if (Option.isNone(deployment)) {
      // PaaSTA refuses to deploy an instance whose image is not in deployments.json.
      skip(`no docker image for deploy group ${deployGroup} in deployments.json`)
      continue
    }
    const mapped = mapInstance({
      service,
      instance,
      config,
      deployment: deployment.value,
      smartstack: smartstackNamespace(smartstack, config, instance),
      dockerRegistry: options.dockerRegistry
    })
    for (const note of mapped.notes) reports.push(at("warning", note.key, note.message))
    const decoded = decode(mapped.document)
    if (Result.isFailure(decoded)) {
      for (const issue of formatter(decoded.failure.issue).issues) {
        const path = (issue.path ?? []).map(String).join(".")
        skip(`${path}: ${issue.message}`)
      }
      continue
    }
    for (const violation of marathonFieldViolations(options.policy, decoded.success.spec.marathon)) {
      const field = violation.segments.filter((segment) => typeof segment === "string").join(".")
      const origin = mapped.marathonOrigins.find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`))
      const report = at("error", origin?.[1] ?? instance, `${violation.path}: ${violation.message}`)
      reports.push(origin === undefined ? { ...report, line: block.line } : report)
    }
    documents.push({ file: instancesFile, line: block.line, document: decoded.success })
  }
  return { documents, reports: tidy(reports), skipped }
}

/**
 * Reports in file and line order, each once: a service.yaml key that cannot be mapped is inherited
 * by every instance, but is one thing for its author to fix.
 */
const tidy = (reports: ReadonlyArray<ImportReport>): ReadonlyArray<ImportReport> => {
  const seen = new Set<string>()
  const unique = reports.filter((report) => {
    const text = formatReport(report)
    if (seen.has(text)) return false
    seen.add(text)
    return true
  })
  return unique.map((report, index) => ({ report, index }))
    .sort((a, b) => a.report.file.localeCompare(b.report.file) || a.report.line - b.report.line || a.index - b.index)
    .map(({ report }) => report)
}

/** The namespace of the first registration (`<service>.<namespace>`, default the instance itself). */
const smartstackNamespace = (smartstack: SoaYaml | undefined, config: Readonly<Record<string, unknown>>, instance: string) => {
  const registrations = config["registrations"]
  const first = Array.isArray(registrations) && typeof registrations[0] === "string" ? registrations[0] : undefined
  const namespace = first === undefined ? instance : first.slice(first.indexOf(".") + 1)
  const block: SoaBlock | undefined = smartstack?.blocks.get(namespace)
  return block?.value
}
