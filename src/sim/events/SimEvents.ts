// Payload builders for the events Marathon writes (spec §1.18 table, Formats.scala shapes).
// Each returns the fields besides `eventType` and `timestamp`, which EventBus adds.
import type { HealthCheckDef } from "../apps/AppDef.ts"
import type { Instance, TaskState } from "../tasks/Instance.ts"

const conditions: Record<string, string> = {
  TASK_STAGING: "Staging",
  TASK_STARTING: "Starting",
  TASK_RUNNING: "Running",
  TASK_KILLING: "Killing",
  TASK_KILLED: "Killed",
  TASK_FINISHED: "Finished",
  TASK_FAILED: "Failed",
  TASK_ERROR: "Error",
  TASK_UNREACHABLE: "Unreachable",
  TASK_GONE: "Gone",
  TASK_DROPPED: "Dropped",
  TASK_UNKNOWN: "Unknown",
  TASK_LOST: "Unknown"
}

/** Marathon's instance condition for a Mesos task state (`Scheduled` before any task). */
const conditionOf = (state: TaskState | undefined): string => (state === undefined ? "Scheduled" : conditions[state] ?? "Unknown")

export const statusUpdate = (i: Instance) => ({
  slaveId: i.agent?.agentId ?? "",
  taskId: i.taskId,
  taskStatus: i.state,
  message: i.message,
  appId: i.appId,
  host: i.agent?.host ?? "",
  ipAddresses: i.agent === undefined ? [] : [{ ipAddress: i.agent.host, protocol: "IPv4" }],
  ports: i.hostPorts,
  version: i.def.version
})

export const instanceChanged = (i: Instance) => ({
  instanceId: i.instanceId,
  condition: conditionOf(i.state),
  runSpecId: i.appId,
  agentId: i.agent?.agentId ?? "",
  host: i.agent?.host ?? "",
  runSpecVersion: i.def.version
})

export const healthStatusChanged = (i: Instance, alive: boolean) => ({
  appId: i.appId,
  instanceId: i.instanceId,
  version: i.def.version,
  alive
})

export const instanceHealthChanged = (i: Instance, healthy: boolean | null) => ({
  instanceId: i.instanceId,
  runSpecId: i.appId,
  healthy,
  runSpecVersion: i.def.version
})

export const failedHealthCheck = (i: Instance, hc: HealthCheckDef) => ({
  appId: i.appId,
  // Marathon names the field taskId but fills it with the instance id (spec §1.18).
  taskId: i.instanceId,
  healthCheck: hc
})

export const unhealthyInstanceKill = (i: Instance, reason: string) => ({
  appId: i.appId,
  taskId: i.taskId,
  instanceId: i.instanceId,
  version: i.def.version,
  reason,
  host: i.agent?.host ?? "",
  slaveId: i.agent?.agentId ?? ""
})
