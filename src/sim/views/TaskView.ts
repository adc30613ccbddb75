// Task JSON as Marathon writes it (spec §3.1, types/task.raml Task): only an active task carries
// stagedAt, startedAt, ports and version; healthCheckResults is [] until the first result. The
// JSON text is cached on the instance and rebuilt only after a change.
import { servicePortsOf } from "../apps/AppDef.ts"
import { iso } from "../ids/Timestamp.ts"
import { isActive, type HealthResult, type Instance } from "../tasks/Instance.ts"

const healthJson = (h: HealthResult, instanceId: string) => {
  const out: Record<string, unknown> = { alive: h.alive, consecutiveFailures: h.consecutiveFailures }
  if (h.firstSuccess !== undefined) out["firstSuccess"] = iso(h.firstSuccess)
  if (h.lastSuccess !== undefined) out["lastSuccess"] = iso(h.lastSuccess)
  if (h.lastFailure !== undefined) out["lastFailure"] = iso(h.lastFailure)
  if (h.lastFailureCause !== undefined) out["lastFailureCause"] = h.lastFailureCause
  out["instanceId"] = instanceId
  return out
}

export const taskObject = (i: Instance): Record<string, unknown> => {
  const agent = i.agent
  const out: Record<string, unknown> = { appId: i.appId, host: agent?.host ?? "", id: i.taskId }
  const active = isActive(i.state)
  if (active) out["ports"] = i.hostPorts
  out["slaveId"] = agent?.agentId ?? ""
  if (active) {
    const skew = i.reportSkewMs ?? 0
    out["stagedAt"] = iso(i.stagedAt + skew)
    if (i.startedAt !== undefined) out["startedAt"] = iso(i.startedAt + skew)
    out["version"] = i.def.version
  }
  out["state"] = i.state
  out["ipAddresses"] = agent === undefined ? [] : [{ ipAddress: agent.host, protocol: "IPv4" }]
  out["servicePorts"] = servicePortsOf(i.def)
  out["healthCheckResults"] = (i.health ?? []).flatMap((h) => (h === undefined ? [] : [healthJson(h, i.instanceId)]))
  out["localVolumes"] = []
  if (agent !== undefined) {
    out["region"] = agent.region
    out["zone"] = agent.zone
  }
  out["role"] = typeof i.def["role"] === "string" ? i.def["role"] : "*"
  return out
}

const servicePortsField = /"servicePorts":\[[0-9,]*\]/

/**
 * The cached JSON text of a task. Marathon 1.10 fills servicePorts only in `GET /v2/tasks`; tasks
 * embedded in apps and `/v2/apps/{id}/tasks` carry `[]` (`embedded`).
 */
export const taskJson = (i: Instance, embedded = false): string => {
  const json = (i.json ??= JSON.stringify(taskObject(i)))
  return embedded ? json.replace(servicePortsField, "\"servicePorts\":[]") : json
}

/** Tasks a client can see: instances that have a task (scheduled ones are not listed). */
export const isListed = (i: Instance): boolean => i.state !== undefined
