// The Marathon app definition mdeploy sends for a ResolvedSpec (design.md §2). Its canonical JSON
// (minus `id`, `instances`, `backoffSeconds`) is what the config hash covers, so this module must
// stay pure and platform-independent: nothing cluster-wide may flow in, or one change would bounce
// every service (paasta-behaviour.md §9 #8). Identity (id, hash label) is added by AppIdentity.
//
// Defaults chosen (all explicit, so the hash never depends on Marathon's own defaults):
// * image set  ⇒ container DOCKER, networks [container/bridge], one portMapping per spec port
//   {containerPort: port, hostPort: 0, protocol: tcp}; no image ⇒ networks [host],
//   portDefinitions [{port, protocol: tcp}], requirePorts iff some port is not 0.
// * healthChecks: spec.healthCheck 1:1 (path for HTTP kinds, portIndex except COMMAND,
//   command as {value}); none ⇒ [].
// * env: MDEPLOY_SERVICE / MDEPLOY_INSTANCE (and MDEPLOY_GIT_SHA when known), then spec.env over them.
// * backoffSeconds ceil(10 / instances) (1 for 0; not hashed), backoffFactor 2, maxLaunchDelaySeconds 300.
// * upgradeStrategy {minimumHealthCapacity: 1, maximumOverCapacity: 1}: mdeploy never restarts an app
//   in place, it only scales and deletes, so this only pins Marathon's default.
// * labels: spec.marathon.labels, then MDEPLOY_MANAGED/SERVICE/INSTANCE over them.
// * spec.marathon is merged last, deeply for objects (arrays and scalars replace), except that
//   mdeploy's labels always win.
import type { ResolvedHealthCheck, ResolvedSpec } from "./ResolvedSpec.ts"

export type AppDefinition = { readonly [key: string]: unknown }

export const ManagedLabel = "MDEPLOY_MANAGED"
export const ServiceLabel = "MDEPLOY_SERVICE"
export const InstanceLabel = "MDEPLOY_INSTANCE"
export const ConfigHashLabel = "MDEPLOY_CONFIG_HASH"

const httpProtocols: ReadonlySet<string> = new Set(["HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"])

const healthCheckFor = (check: ResolvedHealthCheck): Record<string, unknown> => ({
  protocol: check.protocol,
  ...(httpProtocols.has(check.protocol) ? { path: check.path } : {}),
  ...(check.protocol === "COMMAND" ? { command: { value: check.command ?? "" } } : { portIndex: check.portIndex }),
  gracePeriodSeconds: check.gracePeriodSeconds,
  intervalSeconds: check.intervalSeconds,
  timeoutSeconds: check.timeoutSeconds,
  maxConsecutiveFailures: check.maxConsecutiveFailures
})

/** PaaSTA's rule: small apps back off longer, so a crash-looping singleton does not hammer Mesos. */
export const backoffSecondsFor = (instances: number): number => (instances <= 0 ? 1 : Math.ceil(10 / instances))

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Deep merge for plain objects; anything else in `override` replaces the base value. */
const mergeDeep = (base: Record<string, unknown>, override: Readonly<Record<string, unknown>>) => {
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key]
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value
  }
  return merged
}

const stringLabels = (value: unknown): Record<string, string> =>
  isPlainObject(value)
    ? Object.fromEntries(Object.entries(value).map(([key, label]) => [key, String(label)]))
    : {}

/** The app definition without `id` and without the config-hash label. */
export const appDefinitionFor = (spec: ResolvedSpec): AppDefinition => {
  const ports = spec.ports
  const networking = spec.image !== undefined
    ? {
      container: {
        type: "DOCKER",
        docker: { image: spec.image, forcePullImage: false },
        portMappings: ports.map((port) => ({ containerPort: port, hostPort: 0, protocol: "tcp" }))
      },
      networks: [{ mode: "container/bridge" }]
    }
    : {
      networks: [{ mode: "host" }],
      portDefinitions: ports.map((port) => ({ port, protocol: "tcp" })),
      requirePorts: ports.some((port) => port !== 0)
    }
  const base: Record<string, unknown> = {
    ...(spec.cmd !== undefined ? { cmd: spec.cmd } : {}),
    ...(spec.args !== undefined ? { args: [...spec.args] } : {}),
    ...networking,
    cpus: spec.cpus,
    mem: spec.mem,
    disk: spec.disk,
    instances: spec.desiredInstances,
    constraints: spec.constraints.map((constraint) => [...constraint]),
    env: {
      MDEPLOY_SERVICE: spec.service,
      MDEPLOY_INSTANCE: spec.instance,
      ...(spec.gitSha !== undefined ? { MDEPLOY_GIT_SHA: spec.gitSha } : {}),
      ...spec.env
    },
    healthChecks: spec.healthCheck === undefined ? [] : [healthCheckFor(spec.healthCheck)],
    backoffSeconds: backoffSecondsFor(spec.instances),
    backoffFactor: 2,
    maxLaunchDelaySeconds: 300,
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }
  }
  const merged = mergeDeep(base, spec.marathon)
  return {
    ...merged,
    labels: {
      ...stringLabels(spec.marathon["labels"]),
      [ManagedLabel]: "true",
      [ServiceLabel]: spec.service,
      [InstanceLabel]: spec.instance
    }
  }
}
