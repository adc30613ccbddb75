// The smaller Marathon resources: /v2/tasks, /v2/deployments, /v2/queue, /v2/groups,
// /v2/info, /v2/leader and /ping (spec §1.11–§1.19).
import { canonical } from "../ids/PathId.ts"
import type { Sim } from "../state/Sim.ts"
import { parseEmbeds } from "../views/Embeds.ts"
import { methodNotAllowed, type Exchange } from "./Exchange.ts"
import { infoBody } from "./InfoBody.ts"
import type { Leadership } from "./Leadership.ts"

const deployed = (x: Exchange, r: { deploymentId: string; version: string }, status = 200) =>
  x.ok(status, { deploymentId: r.deploymentId, version: r.version }, { "Marathon-Deployment-Id": r.deploymentId })

/**
 * Marathon 1.10 turned the text/plain task lists (`/v2/tasks`, `/v2/apps/{id}/tasks`) into a
 * deprecated feature that is off: asked for text only, it answers 406 with this plain-text body.
 * True when it answered so.
 */
export const refusedTextPlainTasks = (x: Exchange): boolean => {
  const accept = (x.req.headers.accept ?? "").split(",").map((a) => a.split(";")[0]!.trim().toLowerCase()).filter((a) => a !== "")
  const wantsJson = accept.some((a) => a.includes("json") || a === "*/*" || a === "application/*")
  if (wantsJson || !accept.includes("text/plain")) return false
  x.send(406, "The text/plain output is deprecated. It can be enabled via text_plain_tasks.", "text/plain")
  return true
}

export const tasksRoute = (sim: Sim, x: Exchange): void => {
  if (x.path === "/v2/tasks" || x.path === "/v2/tasks/") {
    if (x.method !== "GET") return methodNotAllowed(x)
    if (refusedTextPlainTasks(x)) return
    const wanted = [...x.query.getAll("status"), ...x.query.getAll("status[]")].filter((s) => s === "running" || s === "staging")
    const states = new Set<string>(wanted.map((s) => (s === "running" ? "TASK_RUNNING" : "TASK_STAGING")))
    return x.stream(200, (write) => sim.lists.tasks(sim.ctx.apps.keys(), write, (state) => states.size === 0 || states.has(state)))
  }
  if (x.path === "/v2/tasks/delete") {
    if (x.method !== "POST") return methodNotAllowed(x)
    const r = sim.kills.killByIds(x.json(), { scale: x.flag("scale", false), wipe: x.flag("wipe", false), force: x.flag("force", false) })
    return r._tag === "Scaled" ? deployed(x, r.result) : x.ok(200, { tasks: r.tasks })
  }
  x.ok(500, { message: "URI not found" })
}

export const deploymentsRoute = (sim: Sim, x: Exchange): void => {
  const rest = x.path.slice("/v2/deployments".length).replace(/^\/+|\/+$/g, "")
  if (rest === "") return x.method === "GET" ? x.ok(200, sim.lists.deploymentList()) : methodNotAllowed(x)
  if (x.method !== "DELETE") return methodNotAllowed(x)
  const r = sim.cancelDeployment(decodeURIComponent(rest), x.flag("force", false))
  return r === undefined ? x.send(202, "", undefined) : deployed(x, r)
}

export const queueRoute = (sim: Sim, x: Exchange): void => {
  const rest = x.path.slice("/v2/queue".length)
  if (rest === "" || rest === "/") {
    return x.method === "GET" ? x.ok(200, sim.lists.queue(x.query.getAll("embed").includes("lastUnusedOffers"))) : methodNotAllowed(x)
  }
  if (rest.endsWith("/delay")) {
    if (x.method !== "DELETE") return methodNotAllowed(x)
    sim.resetDelay(rest.slice(0, -"/delay".length))
    return x.send(204, "", undefined)
  }
  x.ok(500, { message: "URI not found" })
}

export const groupsRoute = (sim: Sim, x: Exchange): void => {
  const id = canonical(decodeURIComponent(x.path.slice("/v2/groups".length)))
  switch (x.method) {
    case "GET": {
      const embed = x.query.getAll("embed")
      const defaults = embed.length === 0
      const embeds = parseEmbeds(embed, false)
      return x.ok(200, sim.lists.group(id, defaults || embed.includes("group.apps"), defaults || embed.includes("group.groups"), embeds))
    }
    case "POST":
      return deployed(x, sim.groupWrites.create(x.json(), id, x.flag("force", false)), 201)
    case "PUT":
      return deployed(x, sim.groupWrites.update(id, x.json(), x.flag("force", false)))
    case "DELETE":
      return deployed(x, sim.groupWrites.remove(id, x.flag("force", false)))
    default:
      return methodNotAllowed(x)
  }
}

export const infoRoute = (sim: Sim, leader: Leadership, port: number, x: Exchange): void => {
  if (x.method !== "GET") return methodNotAllowed(x)
  x.ok(200, infoBody(sim.ctx.options, leader, port))
}

export const leaderRoute = (leader: Leadership, x: Exchange): void => {
  if (x.method === "GET") return leader.elected ? x.ok(200, { leader: leader.host }) : x.ok(404, { message: "There is no leader" })
  if (x.method !== "DELETE") return methodNotAllowed(x)
  if (!leader.elected) return x.ok(404, { message: "There is no leader" })
  leader.abdicate()
  x.ok(200, { message: "Leadership abdicated" })
}

/** /ping answers by Accept header (spec §1.19). */
export const pingRoute = (x: Exchange): void => {
  if (x.method !== "GET") return methodNotAllowed(x)
  const accept = (x.req.headers.accept ?? "*/*").split(",").map((a) => a.split(";")[0]!.trim())
  if (accept.some((a) => a === "*/*" || a === "text/*" || a === "text/plain")) return x.send(200, "pong", "text/plain")
  if (accept.includes("application/json")) return x.send(200, "\"pong\"", "application/json")
  if (accept.includes("text/html")) return x.send(200, "pong", "text/html")
  x.send(204, "", undefined)
}
