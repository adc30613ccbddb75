// The emulator's admin API under /__sim (design.md §7, a contract): clock, task health and
// state, scripted behaviours, faults, agent maintenance, leadership and a full state dump. It is
// never behind basic auth or faults, and never under /v2.
import { isObject, type Json, type JsonObject } from "../apps/Shape.ts"
import { canonical } from "../ids/PathId.ts"
import { iso } from "../ids/Timestamp.ts"
import { parseTaskId } from "../ids/TaskId.ts"
import type { Sim } from "../state/Sim.ts"
import { behaviourJson, parseBehaviour } from "../tasks/Behaviour.ts"
import { isActive, taskStates, type Instance, type TaskState } from "../tasks/Instance.ts"
import type { EventStreams } from "./EventStream.ts"
import type { Exchange } from "./Exchange.ts"
import type { Faults } from "./Faults.ts"
import type { Leadership } from "./Leadership.ts"
import { simState } from "./SimState.ts"

export interface AdminDeps {
  readonly sim: Sim
  readonly faults: Faults
  readonly leader: Leadership
  readonly streams: EventStreams
}

const bad = (x: Exchange, message: string, status = 400) => x.ok(status, { message })

const body = (x: Exchange): JsonObject => {
  if (x.body.trim() === "") return {}
  const parsed = JSON.parse(x.body) as Json
  return isObject(parsed) ? parsed : {}
}

const findTask = (sim: Sim, id: string): Instance | undefined => {
  const direct = sim.ctx.instances.get(id)
  if (direct !== undefined) return direct
  const parsed = parseTaskId(id)
  return parsed._tag === "Parsed" ? sim.ctx.instances.get(parsed.instanceId) : undefined
}

export const adminRoute = (deps: AdminDeps, x: Exchange): void => {
  const { sim } = deps
  const parts = x.path.split("/").filter((s) => s.length > 0).slice(1).map(decodeURIComponent)
  const [head] = parts
  const key = `${x.method} ${head ?? ""}`
  try {
    switch (key) {
      case "GET state":
        return x.ok(200, simState(deps))
      case "POST process": {
        // Only when node runs with --expose-gc (benchmarks): measure the state, not V8's slack.
        const gc = (globalThis as { gc?: () => void }).gc
        gc?.()
        return x.ok(200, { collected: gc !== undefined })
      }
      case "GET process": {
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
        return x.ok(200, {
          pid: process.pid,
          rss,
          heapUsed,
          heapTotal,
          external,
          arrayBuffers,
          apps: sim.ctx.apps.size,
          instances: sim.ctx.instances.size
        })
      }
      case "GET clock":
        return x.ok(200, { mode: sim.ctx.clock.mode, now: sim.ctx.iso() })
      case "POST clock":
        return parts[1] === "skew" ? skew(sim, x) : advance(sim, x)
      case "POST tasks":
        return taskAction(sim, x, parts)
      case "GET apps":
      case "PUT apps":
      case "DELETE apps":
        return behaviour(sim, x, parts)
      case "GET faults":
        return x.ok(200, { faults: deps.faults.list(), freeze: sim.deployments.freeze ?? null, slowFactor: sim.ctx.slowFactor })
      case "POST faults":
        return addFault(deps, x)
      case "DELETE faults":
        deps.faults.clear()
        deps.streams.unsilenceAll()
        sim.deployments.release()
        sim.ctx.slowFactor = 1
        return x.send(204, "", undefined)
      case "GET hosts":
        return x.ok(200, {
          hosts: sim.ctx.agents.list.map(({ host, agentId, draining, down, tasks }) => ({ host, agentId, draining, down, tasks }))
        })
      case "POST hosts":
        return maintenance(sim, x, parts)
      case "POST leader":
        return leadership(deps, x)
      case "DELETE leader":
        deps.leader.regain()
        return x.send(204, "", undefined)
      case "POST events":
        deps.streams.closeAll()
        return x.send(204, "", undefined)
      default:
        return bad(x, `No admin route ${x.method} ${x.path}`, 404)
    }
  } catch (e) {
    if (e instanceof SyntaxError) return bad(x, `Invalid JSON: ${e.message}`)
    throw e
  }
}

const advance = (sim: Sim, x: Exchange) => {
  if (sim.ctx.clock.mode !== "virtual") return bad(x, "The clock is real; start the emulator with --clock virtual to advance it.", 409)
  const b = body(x)
  const ms = typeof b["ms"] === "number" ? b["ms"] : typeof b["seconds"] === "number" ? b["seconds"] * 1000 : undefined
  if (ms === undefined || ms < 0) return bad(x, "Expected {\"seconds\": n} with n >= 0")
  sim.ctx.clock.advance(ms)
  x.ok(200, { now: sim.ctx.iso() })
}

const taskAction = (sim: Sim, x: Exchange, parts: ReadonlyArray<string>) => {
  const [, taskId, action] = parts
  const inst = taskId === undefined ? undefined : findTask(sim, taskId)
  if (inst === undefined || !isActive(inst.state)) return bad(x, `Task '${taskId ?? ""}' does not exist`, 404)
  const b = body(x)
  if (action === "health") {
    if (typeof b["alive"] !== "boolean") return bad(x, "Expected {\"alive\": true|false}")
    sim.health.override(inst, b["alive"])
    return x.ok(200, { taskId: inst.taskId, alive: b["alive"] })
  }
  if (action === "state") {
    const state = b["state"]
    if (typeof state !== "string" || !taskStates.includes(state as TaskState)) {
      return bad(x, `state must be one of ${taskStates.join(", ")}`)
    }
    sim.tasks.force(inst, state as TaskState, typeof b["message"] === "string" ? b["message"] : "")
    return x.ok(200, { taskId: inst.taskId, state: inst.state ?? null })
  }
  bad(x, "Expected /__sim/tasks/{taskId}/health or /state", 404)
}

const behaviour = (sim: Sim, x: Exchange, parts: ReadonlyArray<string>) => {
  if (parts[parts.length - 1] !== "behaviour" || parts.length < 3) return bad(x, "Expected /__sim/apps/{appId}/behaviour", 404)
  const id = canonical("/" + parts.slice(1, -1).join("/"))
  if (x.method === "DELETE") {
    sim.ctx.behaviours.delete(id)
    return x.send(204, "", undefined)
  }
  if (x.method === "GET") {
    const def = sim.ctx.apps.get(id)?.def
    const b = def === undefined ? sim.ctx.behaviours.get(id) : sim.ctx.behaviourOf(id, def)
    return b === undefined ? bad(x, `No behaviour for '${id}'`, 404) : x.ok(200, behaviourJson(b))
  }
  const parsed = parseBehaviour(body(x))
  if (typeof parsed === "string") return bad(x, parsed)
  sim.ctx.behaviours.set(id, parsed)
  x.ok(200, behaviourJson(parsed))
}

const addFault = (deps: AdminDeps, x: Exchange) => {
  const b = body(x)
  const { sim } = deps
  if (b["sse"] === "disconnect") {
    deps.streams.closeAll()
    return x.ok(200, { dropped: true })
  }
  if (b["sse"] === "silent") return x.ok(200, { silenced: deps.streams.silenceAll() })
  if (b["deployment"] === "freeze") {
    const atStep = typeof b["atStep"] === "number" ? b["atStep"] : 1
    sim.deployments.freeze = { atStep, appId: typeof b["appId"] === "string" ? canonical(b["appId"]) : undefined }
    for (const d of sim.deployments.list()) if (d.currentStep >= atStep) d.held = true
    return x.ok(200, { freeze: sim.deployments.freeze })
  }
  if (typeof b["slowFactor"] === "number" && b["slowFactor"] > 0) {
    sim.ctx.slowFactor = b["slowFactor"]
    return x.ok(200, { slowFactor: b["slowFactor"] })
  }
  if (b["leader"] !== undefined) return leadership(deps, x)
  const id = deps.faults.add(b)
  return typeof id === "string" ? bad(x, id) : x.ok(200, { id })
}

const maintenance = (sim: Sim, x: Exchange, parts: ReadonlyArray<string>) => {
  const agent = parts[1] === undefined ? undefined : sim.ctx.agents.byHost(parts[1])
  if (agent === undefined || parts[2] !== "maintenance") return bad(x, `Unknown host '${parts[1] ?? ""}'`, 404)
  const b = body(x)
  if (typeof b["draining"] === "boolean") agent.draining = b["draining"]
  if (typeof b["down"] === "boolean") {
    agent.down = b["down"]
    if (agent.down) {
      for (const i of [...sim.ctx.instances.values()]) {
        if (i.agent === agent && isActive(i.state)) sim.tasks.force(i, "TASK_UNREACHABLE", "Agent is down")
      }
    }
  }
  x.ok(200, { host: agent.host, draining: agent.draining, down: agent.down })
}

const leadership = (deps: AdminDeps, x: Exchange) => {
  const b = body(x)
  if (typeof b["host"] === "string") deps.leader.change(b["host"])
  if (b["elected"] === false || b["leader"] === "none") {
    const seconds = b["durationSeconds"]
    deps.leader.lose(typeof seconds === "number" ? seconds * 1000 : undefined)
  }
  if (b["elected"] === true) deps.leader.regain()
  x.ok(200, { leader: deps.leader.host, elected: deps.leader.elected, at: iso(deps.sim.ctx.now()) })
}

/**
 * `POST /__sim/clock/skew {"seconds": n}`: tasks report stagedAt/startedAt n seconds off the
 * emulator's clock (negative: behind), as a Marathon whose clock is wrong; its own timing is kept.
 */
const skew = (sim: Sim, x: Exchange) => {
  const seconds = body(x)["seconds"]
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return bad(x, "Expected {\"seconds\": n} (negative: behind)")
  sim.ctx.reportSkewMs = seconds * 1000
  for (const inst of sim.ctx.instances.values()) {
    inst.reportSkewMs = sim.ctx.reportSkewMs
    inst.json = undefined
  }
  return x.ok(200, { skewSeconds: seconds })
}
