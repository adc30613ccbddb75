// The fake Mesos agents tasks are placed on. Hosts are loopback addresses (127.0.0.2, …) so a
// client that connects to `host:port` of a task never leaves the machine. Agents hand out host
// ports from 31000–32000, carry a maintenance flag (draining: tasks on it are "at risk"), and
// place tasks on the least-loaded agent that satisfies the app's hostname constraints.
import type { JsonObject } from "../apps/Shape.ts"
import type { IdSource } from "../ids/IdSource.ts"

export interface Agent {
  readonly index: number
  readonly host: string
  readonly agentId: string
  readonly region: string
  readonly zone: string
  draining: boolean
  down: boolean
  tasks: number
  nextPort: number
}

const portMin = 31000
const portMax = 32000

export class Agents {
  readonly list: Array<Agent>

  constructor(count: number, ids: IdSource) {
    const framework = ids.uuid4()
    this.list = Array.from({ length: Math.max(1, count) }, (_, i) => ({
      index: i,
      host: `127.0.0.${i + 2}`,
      agentId: `${framework}-S${i}`,
      region: "sim-region",
      zone: `sim-zone-${(i % 3) + 1}`,
      draining: false,
      down: false,
      tasks: 0,
      nextPort: portMin
    }))
  }

  byHost(host: string): Agent | undefined {
    return this.list.find((a) => a.host === host || a.agentId === host)
  }

  /** Host ports for one task; the range wraps, which is harmless for an emulator. */
  ports(agent: Agent, count: number, fixed: ReadonlyArray<number> | undefined): Array<number> {
    if (fixed !== undefined) return [...fixed]
    return Array.from({ length: count }, () => {
      const port = agent.nextPort
      agent.nextPort = agent.nextPort >= portMax ? portMin : agent.nextPort + 1
      return port
    })
  }

  /**
   * Picks an agent for a task of an app whose other tasks run on `usedHosts`. Marathon is not
   * maintenance-aware, so draining agents are eligible; agents that are down are not.
   */
  place(constraints: ReadonlyArray<ReadonlyArray<string>>, usedHosts: ReadonlyMap<string, number>): Agent | undefined {
    let best: Agent | undefined
    for (const agent of this.list) {
      if (agent.down || !satisfies(agent, constraints, usedHosts)) continue
      if (best === undefined || agent.tasks < best.tasks) best = agent
    }
    return best
  }
}

/** undefined when the pattern is not a valid regular expression (nothing can satisfy it). */
const matches = (pattern: string, host: string): boolean | undefined => {
  try {
    return new RegExp(`^(?:${pattern})$`).test(host)
  } catch {
    return undefined
  }
}

const hostnameField = (field: string | undefined) => field === "hostname" || field === "@hostname"

const satisfies = (agent: Agent, constraints: ReadonlyArray<ReadonlyArray<string>>, used: ReadonlyMap<string, number>): boolean => {
  for (const [field, op, value] of constraints) {
    if (!hostnameField(field)) continue
    const here = used.get(agent.host) ?? 0
    switch (op) {
      case "UNIQUE":
        if (here > 0) return false
        break
      case "CLUSTER":
      case "IS":
        if (value !== undefined && value !== "" && agent.host !== value) return false
        break
      case "LIKE":
        if (value !== undefined && matches(value, agent.host) !== true) return false
        break
      case "UNLIKE":
        if (value !== undefined && matches(value, agent.host) !== false) return false
        break
      case "MAX_PER":
        if (value !== undefined && here >= Number(value)) return false
        break
    }
  }
  return true
}

export const constraintsOf = (def: JsonObject): ReadonlyArray<ReadonlyArray<string>> =>
  Array.isArray(def["constraints"]) ? (def["constraints"] as ReadonlyArray<ReadonlyArray<string>>) : []
