// A spec with every documented default filled in: what the planner and the app-identity code read.
// Defaults live here and in the schema annotations only; they are never written back to etcd.
import type { BounceMethod } from "./Bounce.ts"
import { bounceDefaults } from "./Bounce.ts"
import type { Drain } from "./Drain.ts"
import { drainDefaults } from "./Drain.ts"
import type { HealthCheckProtocol } from "./HealthCheck.ts"
import { healthCheckDefaults } from "./HealthCheck.ts"
import type { InstanceName } from "./InstanceName.ts"
import { splitInstanceName } from "./InstanceName.ts"
import type { Constraint, ServiceInstanceSpec } from "./ServiceInstanceSpec.ts"

export interface ResolvedHealthCheck {
  readonly protocol: HealthCheckProtocol
  readonly path: string
  readonly command: string | undefined
  readonly portIndex: number
  readonly gracePeriodSeconds: number
  readonly intervalSeconds: number
  readonly timeoutSeconds: number
  readonly maxConsecutiveFailures: number
}

export interface ResolvedSpec {
  readonly name: InstanceName
  readonly service: string
  readonly instance: string
  readonly image: string | undefined
  readonly gitSha: string | undefined
  readonly cmd: string | undefined
  readonly args: ReadonlyArray<string> | undefined
  readonly env: Readonly<Record<string, string>>
  readonly cpus: number
  readonly mem: number
  readonly disk: number
  /** Instances asked for in the document; `desiredInstances` is what should run. */
  readonly instances: number
  /** 0 when desiredState is stop. */
  readonly desiredInstances: number
  readonly constraints: ReadonlyArray<Constraint>
  readonly ports: ReadonlyArray<number>
  readonly healthCheck: ResolvedHealthCheck | undefined
  readonly bounce: {
    readonly method: BounceMethod
    readonly marginFactor: number
    readonly minTaskUptimeSeconds: number
    readonly progressDeadlineSeconds: number
  }
  readonly drain: Drain & { readonly onError: "retry" | "kill"; readonly timeoutSeconds: number }
  readonly desiredState: "start" | "stop"
  readonly forceBounce: string
  readonly paused: boolean
  /** The shard asked for; undefined: placed by rendezvous hashing (ShardPlacement.ts). Not in the app id. */
  readonly marathonShard: string | undefined
  readonly marathon: Readonly<Record<string, unknown>>
}

export const specDefaults = { cpus: 0.25, mem: 512, disk: 0, instances: 1 } as const

/** A drain config with its defaults filled in: a spec's, or the one kept in status for a deleted spec. */
export const resolveDrain = (drain: Drain | undefined): ResolvedSpec["drain"] => {
  const given = drain ?? { method: drainDefaults.method }
  return {
    ...given,
    onError: given.onError ?? drainDefaults.onError,
    timeoutSeconds: given.timeoutSeconds ?? drainDefaults.timeoutSeconds
  }
}

export const resolveSpec = (name: InstanceName, spec: ServiceInstanceSpec): ResolvedSpec => {
  const { service, instance } = splitInstanceName(name)
  const instances = spec.instances ?? specDefaults.instances
  const desiredState = spec.desiredState ?? "start"
  const check = spec.healthCheck
  return {
    name,
    service,
    instance,
    image: spec.image,
    gitSha: spec.gitSha,
    cmd: spec.cmd,
    args: spec.args,
    env: spec.env ?? {},
    cpus: spec.cpus ?? specDefaults.cpus,
    mem: spec.mem ?? specDefaults.mem,
    disk: spec.disk ?? specDefaults.disk,
    instances,
    desiredInstances: desiredState === "stop" ? 0 : instances,
    constraints: spec.constraints ?? [],
    ports: spec.ports ?? [],
    healthCheck: check === undefined ? undefined : {
      protocol: check.protocol,
      path: check.path ?? healthCheckDefaults.path,
      command: check.command,
      portIndex: check.portIndex ?? healthCheckDefaults.portIndex,
      gracePeriodSeconds: check.gracePeriodSeconds ?? healthCheckDefaults.gracePeriodSeconds,
      intervalSeconds: check.intervalSeconds ?? healthCheckDefaults.intervalSeconds,
      timeoutSeconds: check.timeoutSeconds ?? healthCheckDefaults.timeoutSeconds,
      maxConsecutiveFailures: check.maxConsecutiveFailures ?? healthCheckDefaults.maxConsecutiveFailures
    },
    bounce: {
      method: spec.bounce?.method ?? bounceDefaults.method,
      marginFactor: spec.bounce?.marginFactor ?? bounceDefaults.marginFactor,
      minTaskUptimeSeconds: spec.bounce?.minTaskUptimeSeconds ?? bounceDefaults.minTaskUptimeSeconds,
      progressDeadlineSeconds: spec.bounce?.progressDeadlineSeconds ?? bounceDefaults.progressDeadlineSeconds
    },
    drain: resolveDrain(spec.drain),
    desiredState,
    forceBounce: spec.forceBounce ?? "",
    paused: spec.paused ?? false,
    marathonShard: spec.marathonShard,
    marathon: spec.marathon ?? {}
  }
}
