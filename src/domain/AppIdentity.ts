// Marathon app identity (design.md §2, CONTRACT): `/<svc>.<inst>.git<sha8>.config<hash8>` with every
// "_" written "--", the labels every mdeploy app carries, and the way back from an app id to its
// instance. Pure. Never change the hashed input casually: a new hash for every spec means a bounce
// of every service (test/domain/AppIdentity.test.ts pins example ids on purpose).
import type { AppDefinition } from "./AppDefinition.ts"
import { appDefinitionFor, ConfigHashLabel, ManagedLabel } from "./AppDefinition.ts"
import { configHash } from "./ConfigHash.ts"
import type { InstanceName } from "./InstanceName.ts"
import { splitInstanceName } from "./InstanceName.ts"
import type { ResolvedSpec } from "./ResolvedSpec.ts"

/** The app mdeploy wants Marathon to run for a spec. */
export interface DesiredApp {
  readonly id: string
  readonly configHash: string
  /** Complete definition as sent to `POST /v2/apps`, including `id` and all labels. */
  readonly definition: AppDefinition
}

/** The parts of an app id, with "--" turned back into "_". */
export interface ParsedAppId {
  readonly service: string
  readonly instance: string
  readonly git: string
  readonly config: string
}

/**
 * Part of the id written when the spec has no gitSha. Lower case: Marathon ids allow only
 * [a-z0-9.-], so the "gitUNKNOWN" of the original contract could never be created (CHANGELOG).
 */
export const unknownGitPart = "unknown"

/** Fields that change without a bounce: scaled in place, so kept out of the hash. */
const unhashedFields: ReadonlySet<string> = new Set(["id", "instances", "backoffSeconds"])

const escapePart = (part: string): string => part.replaceAll("_", "--")
const unescapePart = (part: string): string => part.replaceAll("--", "_")

/** What the config hash covers: the definition minus id, instances, backoffSeconds and its own label. */
export const hashedView = (definition: AppDefinition): AppDefinition => {
  const view: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(definition)) {
    if (!unhashedFields.has(key)) view[key] = value
  }
  const labels = definition["labels"]
  if (typeof labels === "object" && labels !== null) {
    const { [ConfigHashLabel]: _ignored, ...rest } = labels as Record<string, unknown>
    view["labels"] = rest
  }
  return view
}

/** `/<svc>.<inst>.` — every app of the instance starts with it; the trailing dot stops `svc.main2` matching `svc.main`. */
export const appIdPrefix = (name: InstanceName): string => {
  const { service, instance } = splitInstanceName(name)
  return `/${escapePart(service)}.${escapePart(instance)}.`
}

/** True when the app id was made for this instance (any version). */
export const belongsTo = (appId: string, name: InstanceName): boolean => appId.startsWith(appIdPrefix(name))

/** True when the labels mark an app as created by mdeploy; nothing else may ever be modified or deleted. */
export const isManaged = (labels: Readonly<Record<string, string>> | undefined): boolean => labels?.[ManagedLabel] === "true"

// The app of a resolved spec, once per spec object: the controller resolves each stored spec once
// (DesiredState.ts), so a resync hashes no definition again.
const desiredApps = new WeakMap<ResolvedSpec, DesiredApp>()

export const desiredApp = (spec: ResolvedSpec): DesiredApp => {
  const known = desiredApps.get(spec)
  if (known !== undefined) return known
  const app = makeDesiredApp(spec)
  desiredApps.set(spec, app)
  return app
}

const makeDesiredApp = (spec: ResolvedSpec): DesiredApp => {
  const definition = appDefinitionFor(spec)
  const hash = configHash(hashedView(definition), spec.forceBounce)
  const git = spec.gitSha === undefined ? unknownGitPart : escapePart(spec.gitSha.slice(0, 8))
  const id = `/${escapePart(spec.service)}.${escapePart(spec.instance)}.git${git}.config${hash}`
  const labels = definition["labels"] as Record<string, string>
  return {
    id,
    configHash: hash,
    definition: { id, ...definition, labels: { ...labels, [ConfigHashLabel]: hash } }
  }
}

/** Parses `/<svc>.<inst>.git<x>.config<y>`; apps in Marathon folders or of other shapes are not ours. */
export const parseAppId = (appId: string): ParsedAppId | undefined => {
  const path = appId.startsWith("/") ? appId.slice(1) : appId
  if (path.includes("/")) return undefined
  const parts = path.split(".")
  if (parts.length !== 4) return undefined
  const [service, instance, git, config] = parts as [string, string, string, string]
  if (service === "" || instance === "" || !git.startsWith("git") || !config.startsWith("config")) return undefined
  return {
    service: unescapePart(service),
    instance: unescapePart(instance),
    git: unescapePart(git.slice(3)),
    config: unescapePart(config.slice(6))
  }
}

/** The instance name an app id belongs to, if it has mdeploy's shape. */
export const instanceNameOf = (appId: string): string | undefined => {
  const parsed = parseAppId(appId)
  return parsed === undefined ? undefined : `${parsed.service}.${parsed.instance}`
}
