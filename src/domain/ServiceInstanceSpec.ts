// `spec` of a ServiceInstance (design.md §2, CONTRACT): what the service owner asks Marathon to run.
// Every field is optional in the document except what identifies the workload (image, cmd or args);
// defaults are applied when the controller plans (ResolvedSpec), never written back.
import { Schema } from "effect"
import { Bounce } from "./Bounce.ts"
import { Drain } from "./Drain.ts"
import { HealthCheck } from "./HealthCheck.ts"
import { shardNamePattern } from "./ShardPlacement.ts"

export const ConstraintOperator = Schema.Literals(["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"])

export const Constraint = Schema.Union([
  Schema.Tuple([Schema.NonEmptyString, ConstraintOperator]),
  Schema.Tuple([Schema.NonEmptyString, ConstraintOperator, Schema.String])
]).annotate({
  message:
    "Expected [field, operator] or [field, operator, value] with operator one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS",
  description: "Marathon placement constraint"
})
export type Constraint = typeof Constraint.Type

const EnvName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "environment variable names are [A-Za-z_][A-Za-z0-9_]*" })
)

const Port = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))

/** Marathon fields mdeploy owns: setting them through the escape hatch would break app identity or scaling. */
export const reservedMarathonFields = ["id", "instances", "version", "versionInfo", "tasks", "deployments"] as const

export const ServiceInstanceSpec = Schema.Struct({
  image: Schema.optionalKey(Schema.NonEmptyString.annotate({ description: "Docker image (omit for cmd-only apps)" })),
  gitSha: Schema.optionalKey(
    Schema.String.check(
      Schema.isPattern(/^[0-9a-f]{4,64}$/, { message: "must be a lowercase hex git sha" })
    ).annotate({ description: "shown in the app id as git<first 8 chars>; gitunknown when absent" })
  ),
  cmd: Schema.optionalKey(Schema.NonEmptyString.annotate({ description: "shell command; exclusive with args" })),
  args: Schema.optionalKey(Schema.Array(Schema.String).annotate({ description: "argv; exclusive with cmd" })),
  env: Schema.optionalKey(Schema.Record(EnvName, Schema.String).annotate({ description: "environment variables" })),
  cpus: Schema.optionalKey(
    Schema.Finite.check(Schema.isGreaterThan(0)).annotate({ description: "CPU shares", default: 0.25 })
  ),
  mem: Schema.optionalKey(
    Schema.Finite.check(Schema.isGreaterThan(0)).annotate({ description: "memory in MiB", default: 512 })
  ),
  disk: Schema.optionalKey(
    Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "disk in MiB", default: 0 })
  ),
  instances: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10000 })).annotate({
      description: "task count; changed in place without a bounce",
      default: 1
    })
  ),
  constraints: Schema.optionalKey(Schema.Array(Constraint)),
  ports: Schema.optionalKey(
    Schema.Array(Port).annotate({ description: "container/host ports (0 = any host port)", default: [] })
  ),
  healthCheck: Schema.optionalKey(HealthCheck),
  bounce: Schema.optionalKey(Bounce),
  drain: Schema.optionalKey(Drain),
  desiredState: Schema.optionalKey(
    Schema.Literals(["start", "stop"]).annotate({
      description: "stop = scale to 0 instances, keeping the app",
      default: "start"
    })
  ),
  forceBounce: Schema.optionalKey(
    Schema.String.annotate({ description: "change to restart with an identical config", default: "" })
  ),
  paused: Schema.optionalKey(
    Schema.Boolean.annotate({ description: "the controller observes but takes no action", default: false })
  ),
  marathonShard: Schema.optionalKey(
    Schema.String.check(
      Schema.isPattern(shardNamePattern, { message: "a Marathon shard name: [a-z0-9]([a-z0-9_-]*[a-z0-9])?" })
    ).annotate({
      description: "the Marathon shard to run on, one of the controller's current shards (--marathon-shard); " +
        "default: chosen by rendezvous hashing of the instance name. Changing it moves the app (a crossover), " +
        "it is not part of the app id"
    })
  ),
  marathon: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Unknown).annotate({
      description: "raw Marathon app fields merged last (the escape hatch for fields mdeploy does not model); " +
        "fields reaching beyond the service (privileged, docker parameters, hostPath volumes, user, roles, fetch, " +
        "secrets, HAPROXY_*/MDEPLOY_* labels, ...) are refused unless the operator's Marathon field policy allows them"
    })
  )
}).check(
  Schema.makeFilter((spec) => {
    const issues: Array<Schema.FilterIssue> = []
    if (spec.cmd !== undefined && spec.args !== undefined) {
      issues.push({ path: ["args"], issue: "cmd and args are mutually exclusive" })
    }
    if (spec.image === undefined && spec.cmd === undefined && spec.args === undefined) {
      issues.push({ path: ["image"], issue: "one of image, cmd or args is required" })
    }
    const check = spec.healthCheck
    if (check !== undefined && check.protocol !== "COMMAND") {
      const index = check.portIndex ?? 0
      if (index >= (spec.ports ?? []).length) {
        issues.push({ path: ["healthCheck", "portIndex"], issue: `needs spec.ports to have a port at index ${index}` })
      }
    }
    for (const field of reservedMarathonFields) {
      if (spec.marathon !== undefined && field in spec.marathon) {
        issues.push({ path: ["marathon", field], issue: "is managed by mdeploy and cannot be set here" })
      }
    }
    return issues
  })
).annotate({ title: "ServiceInstanceSpec", description: "What to run on Marathon and how to roll it out" })
export type ServiceInstanceSpec = typeof ServiceInstanceSpec.Type
