// Pure: one merged PaaSTA instance config (service.yaml defaults under the instance block) plus its
// deployments.json entry → the ServiceInstance document mdeploy would run, and a note for every
// key it could not carry over. Where PaaSTA's code default differs from mdeploy's (cpus 1, mem 4096,
// disk 1024, one bridge port 8888) the PaaSTA value is written out, so an imported instance asks
// Marathon for what it got before. Cluster-wide inputs PaaSTA added from its system config
// (registry, routing constraints, PAASTA_* env, docker cpu-quota) are not invented here.
import { Schema } from "effect"
import { LabelValue } from "../domain/Labels.ts"
import { apiVersion, kind } from "../domain/ServiceInstance.ts"
import { ConfigReader, isArray, isRecord, notMapped, scalarText } from "./ConfigReader.ts"
import type { KeyNote } from "./ConfigReader.ts"
import type { Deployment } from "./DeploymentsJson.ts"
import { bounceFrom, drainFrom, healthCheckFrom } from "./RolloutKeys.ts"
import type { SmartstackNamespace } from "./RolloutKeys.ts"

export interface MapInput {
  readonly service: string
  readonly instance: string
  readonly config: Readonly<Record<string, unknown>>
  readonly deployment: Deployment
  readonly smartstack: SmartstackNamespace
  /** Prefixed to the image as PaaSTA's system `docker_registry` was; service.yaml's wins. */
  readonly dockerRegistry: string | undefined
}

export interface MappedInstance {
  /** Not yet validated: the importer decodes it with the schema `apply` uses. */
  readonly document: Record<string, unknown>
  readonly notes: ReadonlyArray<KeyNote>
  /** spec.marathon paths and the PaaSTA key each came from, to place policy refusals. */
  readonly marathonOrigins: ReadonlyArray<readonly [prefix: string, key: string]>
}

/** Keys that describe the service rather than its deployment, or that the importer itself consumed. */
const ignored: ReadonlySet<string> = new Set(["description", "external_link", "git_url", "docker_registry", "deploy_group"])

const isLabelValue = Schema.is(LabelValue)

/** Keys PaaSTA reads only with autoscaling, which mdeploy does not do. */
const autoscalingKeys = ["min_instances", "autoscaling"]

const constraintsFrom = (reader: ConfigReader): ReadonlyArray<ReadonlyArray<string>> | undefined => {
  const lists = (key: string) => (reader.array(key) ?? []).filter(isArray).map((entry) => entry.map(scalarText))
  if (reader.has("constraints")) {
    // PaaSTA uses `constraints` verbatim and ignores everything it would otherwise add.
    for (const key of ["extra_constraints", "deploy_blacklist", "deploy_whitelist", "pool"]) {
      if (reader.has(key)) {
        reader.raw(key)
        reader.note(key, `${notMapped} (ignored because constraints is set, as PaaSTA does)`)
      }
    }
    return lists("constraints")
  }
  const constraints = [...lists("extra_constraints")]
  for (const [location, value] of lists("deploy_blacklist").filter((entry) => entry.length === 2)) {
    constraints.push([location!, "UNLIKE", value!])
  }
  const whitelist = reader.array("deploy_whitelist")
  if (whitelist !== undefined && whitelist.length === 2 && isArray(whitelist[1])) {
    constraints.push([scalarText(whitelist[0]), "LIKE", whitelist[1].map(scalarText).join("|")])
  }
  // Only an explicit pool: PaaSTA's implicit "default" pool would pin imports to agents with that attribute.
  const pool = reader.string("pool")
  if (pool !== undefined) constraints.push(["pool", "LIKE", pool])
  return constraints.length === 0 ? undefined : constraints
}

/** PaaSTA's container fields that mdeploy models only through spec.marathon. */
const marathonFrom = (reader: ConfigReader, origins: Array<readonly [string, string]>) => {
  const marathon: Record<string, unknown> = {}
  const scalar = (key: string, field: string) => {
    const value = reader.number(key)
    if (value !== undefined) {
      marathon[field] = value
      origins.push([field, key])
    }
  }
  scalar("backoff_factor", "backoffFactor")
  scalar("max_launch_delay_seconds", "maxLaunchDelaySeconds")
  const roles = reader.array("accepted_resource_roles")
  if (roles !== undefined) {
    marathon["acceptedResourceRoles"] = roles.map(scalarText)
    origins.push(["acceptedResourceRoles", "accepted_resource_roles"])
  }
  const container: Record<string, unknown> = {}
  const volumes = reader.array("extra_volumes")
  if (volumes !== undefined) {
    container["volumes"] = volumes.filter(isRecord)
    origins.push(["container.volumes", "extra_volumes"])
  }
  const parameters = [
    ...(reader.array("cap_add") ?? []).map((capability) => ({ key: "cap-add", value: scalarText(capability) })),
    ...Object.entries(reader.record("extra_docker_args") ?? {}).map(([key, value]) => ({ key, value: scalarText(value) }))
  ]
  if (parameters.length > 0) {
    container["docker"] = { parameters }
    origins.push(["container.docker.parameters", reader.has("cap_add") ? "cap_add" : "extra_docker_args"])
  }
  if (Object.keys(container).length > 0) marathon["container"] = container
  return marathon
}

export const mapInstance = (input: MapInput): MappedInstance => {
  const reader = new ConfigReader(input.config)
  const origins: Array<readonly [string, string]> = []
  const { deployment } = input
  const registry = reader.string("docker_registry") ?? input.dockerRegistry
  const sha = deployment.gitSha?.toLowerCase()

  let instances = reader.number("instances")
  const maxInstances = reader.number("max_instances")
  if (maxInstances !== undefined) {
    // Without an autoscaler decision PaaSTA runs max_instances; mdeploy has no autoscaler.
    instances = maxInstances
    reader.note("max_instances", "autoscaling is not supported: instances set to max_instances")
    for (const key of autoscalingKeys) if (reader.has(key)) reader.raw(key)
  }

  const rawCmd = reader.raw("cmd")
  const cmd = isArray(rawCmd) ? rawCmd.map(scalarText).join(" ") : rawCmd === undefined ? undefined : scalarText(rawCmd)
  const args = reader.array("args")?.map(scalarText)
  const env = reader.record("env")

  const net = reader.string("net") ?? "bridge"
  if (net !== "bridge") reader.note("net", `${net}: ${notMapped} (mdeploy runs docker images on the bridge network)`)
  const hostPort = reader.number("host_port") ?? 0
  if (hostPort !== 0) reader.note("host_port", `${hostPort}: ${notMapped} (mdeploy lets Marathon pick host ports)`)
  const containerPort = reader.number("container_port") ?? 8888

  const resources = { cpus: reader.number("cpus") ?? 1, mem: reader.number("mem") ?? 4096, disk: reader.number("disk") ?? 1024 }
  const healthCheck = healthCheckFrom(reader, input.smartstack)
  const bounce = bounceFrom(reader)
  const drain = drainFrom(reader, input.smartstack)
  const constraints = constraintsFrom(reader)
  const marathon = marathonFrom(reader, origins)
  const monitoring = reader.record("monitoring") ?? {}
  for (const key of Object.keys(monitoring)) if (key !== "team") reader.note(`monitoring.${key}`, notMapped)
  const team = isLabelValue(monitoring["team"]) ? monitoring["team"] : undefined
  if (monitoring["team"] !== undefined && team === undefined) reader.note("monitoring.team", `${notMapped} (not a valid label value)`)

  for (const key of reader.unread(ignored)) reader.note(key, notMapped)

  const spec: Record<string, unknown> = {
    image: registry === undefined ? deployment.dockerImage : `${registry.replace(/\/+$/, "")}/${deployment.dockerImage}`,
    ...(sha === undefined ? {} : { gitSha: sha }),
    ...(cmd === undefined ? {} : { cmd }),
    ...(args === undefined ? {} : { args }),
    ...(env === undefined ? {} : { env: Object.fromEntries(Object.entries(env).map(([name, value]) => [name, scalarText(value)])) }),
    ...resources,
    instances: instances ?? 1,
    ...(constraints === undefined ? {} : { constraints }),
    ports: [containerPort],
    ...(healthCheck === undefined ? {} : { healthCheck }),
    ...(bounce === undefined ? {} : { bounce }),
    ...(drain === undefined ? {} : { drain }),
    ...(deployment.desiredState === "stop" ? { desiredState: "stop" } : {}),
    ...(deployment.forceBounce === undefined || deployment.forceBounce === "" ? {} : { forceBounce: deployment.forceBounce }),
    ...(Object.keys(marathon).length === 0 ? {} : { marathon })
  }
  return {
    document: {
      apiVersion,
      kind,
      metadata: {
        name: `${input.service}.${input.instance}`,
        ...(team === undefined ? {} : { labels: { team } })
      },
      spec
    },
    notes: reader.notes,
    marathonOrigins: origins
  }
}
