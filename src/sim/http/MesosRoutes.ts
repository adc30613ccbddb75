// The one piece of the Mesos master API a deployment controller reads beside Marathon: the
// maintenance status (draining machines), through the operator API (`POST /api/v1`
// GET_MAINTENANCE_STATUS) and the older `GET /maintenance/status`. Draining agents are where
// "at-risk" tasks live; Marathon itself shows nothing about maintenance.
import type { Agents } from "../tasks/Agents.ts"
import type { Exchange } from "./Exchange.ts"

const machines = (agents: Agents) => {
  const id = (host: string) => ({ hostname: host, ip: host })
  return {
    draining_machines: agents.list.filter((a) => a.draining && !a.down).map((a) => ({ id: id(a.host) })),
    down_machines: agents.list.filter((a) => a.down).map((a) => id(a.host))
  }
}

export const mesosRoute = (agents: Agents, x: Exchange): void => {
  if (x.path === "/api/v1" && x.method === "POST") {
    let type: unknown
    try {
      type = (JSON.parse(x.body) as { type?: unknown }).type
    } catch {
      return x.send(400, "Failed to parse body into JSON", "text/plain")
    }
    if (type !== "GET_MAINTENANCE_STATUS") return x.send(400, `Unsupported call type ${String(type)}`, "text/plain")
    return x.ok(200, { type: "GET_MAINTENANCE_STATUS", get_maintenance_status: { status: machines(agents) } })
  }
  if (x.method === "GET") return x.ok(200, machines(agents))
  x.send(405, "", undefined)
}
