// The health check of a ServiceInstance, translated 1:1 into Marathon's `healthChecks[0]`.
// Defaults follow PaaSTA's (grace 60 s, interval 10 s, timeout 10 s, 30 consecutive failures):
// Marathon kills a task after maxConsecutiveFailures without draining it, so they stay lenient.
import { Schema } from "effect"

export const HealthCheckProtocol = Schema.Literals([
  "MESOS_HTTP",
  "MESOS_HTTPS",
  "MESOS_TCP",
  "HTTP",
  "HTTPS",
  "TCP",
  "COMMAND"
])
export type HealthCheckProtocol = typeof HealthCheckProtocol.Type

const seconds = (description: string, defaultValue: number) =>
  Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description, default: defaultValue })
  )

export const HealthCheck = Schema.Struct({
  protocol: HealthCheckProtocol.annotate({ description: "Marathon health-check protocol" }),
  path: Schema.optionalKey(
    Schema.String.check(Schema.isStartingWith("/", { message: "must start with \"/\"" })).annotate({
      description: "HTTP path for HTTP/HTTPS protocols (default /status)",
      default: "/status"
    })
  ),
  command: Schema.optionalKey(Schema.NonEmptyString.annotate({ description: "shell command; required for COMMAND" })),
  portIndex: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "index into spec.ports", default: 0 })
  ),
  gracePeriodSeconds: seconds("failures are ignored this long after the task starts", 60),
  intervalSeconds: seconds("time between checks", 10),
  timeoutSeconds: seconds("time a check may take", 10),
  maxConsecutiveFailures: seconds("Marathon kills the task after this many failures in a row (0 = never)", 30)
}).check(
  Schema.makeFilter((check) =>
    check.protocol === "COMMAND" && check.command === undefined
      ? { path: ["command"], issue: "is required when protocol is COMMAND" }
      : check.protocol !== "COMMAND" && check.command !== undefined
      ? { path: ["command"], issue: "is only allowed when protocol is COMMAND" }
      : undefined
  )
).annotate({ description: "Health check run by Marathon/Mesos; tasks are happy only when it passes" })
export type HealthCheck = typeof HealthCheck.Type

export const healthCheckDefaults = {
  path: "/status",
  portIndex: 0,
  gracePeriodSeconds: 60,
  intervalSeconds: 10,
  timeoutSeconds: 10,
  maxConsecutiveFailures: 30
} as const
