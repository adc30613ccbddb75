// Which raw Marathon fields a spec author may set through `spec.marathon`, the escape hatch merged
// last into the app definition. Spec authors own one service; the fields below reach beyond it: the
// agent itself (privileged containers, docker run flags, host paths, host networking, the user a
// task runs as), the cluster's shared resources (roles, fetched artifacts, secrets) or what other
// systems read from an app (marathon-lb's HAPROXY_* labels, mdeploy's own MDEPLOY_* labels).
// Operators loosen or tighten this with a policy file (`{allow: [...], deny: [...]}`); `apply`
// refuses violating documents and the controller refuses to touch violating instances. Pure.
import { Schema } from "effect"
import { reservedMarathonFields } from "./ServiceInstanceSpec.ts"

/**
 * Dotted field paths under `spec.marathon` (`container.docker.privileged`); array elements are
 * transparent (`container.volumes.hostPath` covers every volume). A trailing `*` matches any
 * continuation (`labels.HAPROXY_*`); a path also covers everything beneath it.
 */
export const FieldPattern = Schema.String.check(
  Schema.isPattern(/^[^.*\s]+(\.[^.*\s]+)*(\.?\*)?$/, {
    message: "must be a dotted field path such as container.docker.privileged, optionally ending in *"
  })
)

export const MarathonFieldPolicyDocument = Schema.Struct({
  allow: Schema.optionalKey(Schema.Array(FieldPattern).annotate({ description: "lift built-in denials for these paths" })),
  deny: Schema.optionalKey(Schema.Array(FieldPattern).annotate({ description: "deny these paths too; wins over allow" }))
})

export interface MarathonFieldPolicy {
  /** Lift the built-in denials covering these paths; never the fields mdeploy itself owns. */
  readonly allow: ReadonlyArray<string>
  /** Denied besides the built-in denials, whatever `allow` says. */
  readonly deny: ReadonlyArray<string>
}

/** Nothing allowed beyond, nothing denied besides, the built-in denials. */
export const defaultMarathonFieldPolicy: MarathonFieldPolicy = { allow: [], deny: [] }

export interface MarathonFieldViolation {
  /** `spec.marathon.container.volumes[0].hostPath`: the form errors and status conditions print. */
  readonly path: string
  /** The same path as segments under `spec.marathon` (array indices as numbers). */
  readonly segments: ReadonlyArray<string | number>
  readonly message: string
}

interface Denial {
  readonly pattern: string
  readonly reason: string
  /** Denied only for these values; absent = whatever the value. */
  readonly when?: (value: unknown) => boolean
}

const isHost = (value: unknown) => typeof value === "string" && value.toLowerCase() === "host"

/** Built in; an operator's `allow` lifts them. */
export const defaultMarathonDenials: ReadonlyArray<Denial> = [
  { pattern: "container.docker.privileged", reason: "a privileged container controls the agent", when: (value) => value !== false },
  { pattern: "container.docker.parameters", reason: "docker run flags such as pid=host, cap-add, device or volume escape the container" },
  { pattern: "container.docker.network", reason: "host networking reaches the agent's local services", when: isHost },
  { pattern: "container.volumes.hostPath", reason: "mounts a path of the agent into the task" },
  { pattern: "container.volumes.external", reason: "mounts a volume shared beyond this service" },
  { pattern: "container.linuxInfo", reason: "seccomp, capabilities and IPC namespaces are the agent's protection" },
  { pattern: "networks.mode", reason: "host networking reaches the agent's local services", when: isHost },
  { pattern: "user", reason: "tasks run as the user the operator chose; root would own the agent" },
  { pattern: "acceptedResourceRoles", reason: "resource roles reserve agents for other frameworks and teams" },
  { pattern: "role", reason: "resource roles reserve agents for other frameworks and teams" },
  { pattern: "executor", reason: "a custom executor runs a program of the agent's choosing" },
  { pattern: "fetch", reason: "fetched artifacts are downloaded by the agent" },
  { pattern: "uris", reason: "fetched artifacts are downloaded by the agent" },
  { pattern: "storeUrls", reason: "fetched artifacts are downloaded by the agent" },
  { pattern: "secrets", reason: "secrets belong to whoever the secret store says, not to the spec author" },
  { pattern: "labels.HAPROXY_*", reason: "marathon-lb reads HAPROXY_* labels to route other services' traffic" }
]

/** mdeploy's own: app identity, scaling and ownership. Never settable, whatever the policy says. */
const ownedDenials: ReadonlyArray<Denial> = [
  ...reservedMarathonFields.map((pattern) => ({ pattern, reason: "is managed by mdeploy" })),
  { pattern: "labels.MDEPLOY_*", reason: "MDEPLOY_* labels are managed by mdeploy" }
]

/** True when `pattern` names `path` or one of its ancestors (`*` = any continuation). */
export const fieldPatternMatches = (pattern: string, path: string): boolean => {
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1))
  return path === pattern || path.startsWith(`${pattern}.`)
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const displayPath = (segments: ReadonlyArray<string | number>): string =>
  segments.reduce<string>((text, segment) => typeof segment === "number" ? `${text}[${segment}]` : `${text}.${segment}`, "spec.marathon")

/** Why the field at `path` (dotted, no indices) with `value` is refused, or undefined. */
const refusal = (policy: MarathonFieldPolicy, path: string, value: unknown): string | undefined => {
  const applies = (denial: Denial) => fieldPatternMatches(denial.pattern, path) && (denial.when?.(value) ?? true)
  const owned = ownedDenials.find(applies)
  if (owned !== undefined) return `${owned.reason} and can never be set here`
  if (policy.deny.some((pattern) => fieldPatternMatches(pattern, path))) return "denied by the Marathon field policy"
  const builtIn = defaultMarathonDenials.find(applies)
  if (builtIn !== undefined && !policy.allow.some((pattern) => fieldPatternMatches(pattern, path))) {
    return `denied by the Marathon field policy (${builtIn.reason})`
  }
  return undefined
}

/**
 * Every field of `specMarathon` the policy refuses, outermost first; a refused field's contents are
 * not reported again. Empty when the instance may be applied and reconciled.
 */
export const marathonFieldViolations = (
  policy: MarathonFieldPolicy,
  specMarathon: Readonly<Record<string, unknown>> | undefined
): ReadonlyArray<MarathonFieldViolation> => {
  const found: Array<MarathonFieldViolation> = []
  const visit = (value: unknown, path: string, segments: ReadonlyArray<string | number>) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, path, [...segments, index]))
      return
    }
    if (!isPlainObject(value)) return
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === "" ? key : `${path}.${key}`
      const childSegments = [...segments, key]
      const message = refusal(policy, childPath, child)
      if (message === undefined) visit(child, childPath, childSegments)
      else found.push({ path: displayPath(childSegments), segments: childSegments, message })
    }
  }
  visit(specMarathon ?? {}, "", [])
  return found
}
