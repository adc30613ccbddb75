// /v2/apps and everything below it (spec §1.1–§1.10, §1.20). App ids may contain slashes, so
// the sub-resources are recognised by their last segments; ids cannot end in the reserved
// words `restart`, `tasks` or `versions`, which keeps this unambiguous.
import { canonical } from "../ids/PathId.ts"
import { ApiError, appNotFound } from "../state/ApiError.ts"
import type { Sim } from "../state/Sim.ts"
import type { CommitResult } from "../state/Writes.ts"
import type { KillResult } from "../state/TaskCommands.ts"
import { parseEmbeds } from "../views/Embeds.ts"
import { methodNotAllowed, type Exchange } from "./Exchange.ts"
import { refusedTextPlainTasks } from "./MiscRoutes.ts"

const deployed = (x: Exchange, r: CommitResult, status = 200, headers: Record<string, string> = {}) =>
  x.ok(status, { deploymentId: r.deploymentId, version: r.version }, { "Marathon-Deployment-Id": r.deploymentId, ...headers })

const killed = (x: Exchange, r: KillResult, single: boolean) => {
  if (r._tag === "Scaled") return deployed(x, r.result)
  return x.ok(200, single ? { task: r.tasks[0] } : { tasks: r.tasks })
}

const location = (x: Exchange, id: string) =>
  `${"encrypted" in x.req.socket && x.req.socket.encrypted === true ? "https" : "http"}://${x.req.headers.host ?? "localhost"}${id}`

export const appsRoute = (sim: Sim, x: Exchange): void => {
  const rest = x.path.slice("/v2/apps".length)
  const parts = rest.split("/").filter((s) => s.length > 0).map(decodeURIComponent)
  if (parts.length === 0) return collection(sim, x)
  const last = parts[parts.length - 1]!
  const before = parts[parts.length - 2]
  const idOf = (n: number) => "/" + parts.slice(0, parts.length - n).join("/")
  if (last === "*") return x.method === "GET" ? groupApps(sim, x, canonical(idOf(1))) : methodNotAllowed(x)
  if (last === "restart" && x.method === "POST") return deployed(x, sim.apps.restart(idOf(1), x.flag("force", false)))
  // Marathon 1.10 routes DELETE …/restart to the delete of an app named "…/restart" (404 unless it exists).
  if (last === "restart" && x.method !== "DELETE") return methodNotAllowed(x)
  if (last === "versions") return x.method === "GET" ? versions(sim, x, canonical(idOf(1))) : methodNotAllowed(x)
  if (before === "versions" && x.method === "GET") return version(sim, x, canonical(idOf(2)), last)
  if (last === "tasks") return appTasks(sim, x, idOf(1))
  if (before === "tasks" && x.method === "DELETE") {
    return killed(
      x,
      sim.kills.killOne(idOf(2), last, { scale: x.flag("scale", false), wipe: x.flag("wipe", false), force: x.flag("force", false) }),
      true
    )
  }
  return app(sim, x, "/" + parts.join("/"))
}

const collection = (sim: Sim, x: Exchange): void => {
  switch (x.method) {
    case "GET": {
      const filter = { cmd: x.query.get("cmd") ?? undefined, id: x.query.get("id") ?? undefined, label: x.query.get("label") ?? undefined }
      const embeds = parseEmbeds(x.query.getAll("embed"), false)
      return x.stream(200, (write) => sim.lists.appList(filter, embeds, write))
    }
    case "POST": {
      const r = sim.apps.create(x.json(), x.flag("force", false), { clientIp: x.clientIp, uri: x.path })
      // The 201 body has the new definition's version but no versionInfo yet (spec §1.2).
      const body = sim.appViews.created(sim.ctx.apps.get(r.def.id)!)
      return x.ok(201, body, { "Marathon-Deployment-Id": r.deploymentId, Location: location(x, r.def.id) })
    }
    case "PUT":
      return deployed(x, sim.apps.putMany(x.json(), x.flag("force", false), x.flag("partialUpdate", true), false))
    case "PATCH":
      return deployed(x, sim.apps.putMany(x.json(), x.flag("force", false), true, true))
    default:
      return methodNotAllowed(x)
  }
}

const app = (sim: Sim, x: Exchange, pathId: string): void => {
  const caller = { clientIp: x.clientIp, uri: x.path }
  switch (x.method) {
    case "GET": {
      const id = canonical(pathId)
      const record = sim.ctx.apps.get(id)
      if (record === undefined) throw appNotFound(id)
      return x.ok(200, `{"app":${sim.appViews.appInfo(record, parseEmbeds(x.query.getAll("embed"), true))}}`)
    }
    case "PUT": {
      const r = sim.apps.put(pathId, x.json(), x.flag("force", false), x.flag("partialUpdate", true), caller)
      return r.created ? deployed(x, r, 201, { Location: location(x, canonical(pathId)) }) : deployed(x, r)
    }
    case "PATCH":
      return deployed(x, sim.apps.patch(pathId, x.json(), x.flag("force", false), caller))
    case "DELETE":
      return deployed(x, sim.apps.remove(pathId, x.flag("force", true)))
    default:
      return methodNotAllowed(x)
  }
}

const groupApps = (sim: Sim, x: Exchange, groupId: string): void => {
  const embeds = parseEmbeds(x.query.getAll("embed"), true)
  const apps = sim.lists.appsUnder(groupId).map((r) => sim.appViews.appInfo(r, embeds))
  x.ok(200, `{"*":[${apps.join(",")}]}`)
}

const appTasks = (sim: Sim, x: Exchange, pathId: string): void => {
  const id = canonical(pathId)
  if (x.method === "DELETE") {
    const host = x.query.get("host") ?? undefined
    return killed(
      x,
      sim.kills.killApp(pathId, host, { scale: x.flag("scale", false), wipe: x.flag("wipe", false), force: x.flag("force", false) }),
      false
    )
  }
  if (x.method !== "GET") return methodNotAllowed(x)
  if (refusedTextPlainTasks(x)) return
  const accept = x.req.headers.accept ?? ""
  if (accept !== "" && !accept.includes("json") && !accept.includes("*/*")) throw new ApiError(406, { message: "Not Acceptable" })
  if (id.endsWith("/*")) {
    const ids = sim.lists.appsUnder(canonical(id.slice(0, -2))).map((r) => r.id)
    return x.stream(200, (write) => sim.lists.tasks(ids, write, undefined, true))
  }
  if (!sim.ctx.apps.has(id)) throw appNotFound(id)
  x.stream(200, (write) => sim.lists.tasks([id], write, undefined, true))
}

const versions = (sim: Sim, x: Exchange, id: string): void => {
  const record = sim.ctx.apps.get(id)
  if (record === undefined) throw appNotFound(id)
  x.ok(200, { versions: [...record.versions.keys()].reverse() })
}

const version = (sim: Sim, x: Exchange, id: string, v: string): void => {
  const def = sim.ctx.apps.get(id)?.versions.get(v)
  if (def === undefined) throw new ApiError(404, { message: `App '${id}' does not exist in version ${v}` })
  x.ok(200, def)
}
