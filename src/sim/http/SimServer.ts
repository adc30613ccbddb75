// The emulator's HTTP front: a plain node:http listener (the request path must stay fast) that
// reads the body, applies the cross-cutting rules of spec §0 (auth, leadership, faults, media
// type, headers) and dispatches to the route modules. All state changes happen in Sim. Serves
// HTTPS instead when given a certificate and key (PEM).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https"
import type { AddressInfo } from "node:net"
import type { Sim } from "../state/Sim.ts"
import { ApiError } from "../state/ApiError.ts"
import { adminRoute } from "./AdminRoutes.ts"
import { appsRoute } from "./AppsRoutes.ts"
import { challenge, isAuthorised } from "./BasicAuth.ts"
import { EventStreams } from "./EventStream.ts"
import { Exchange } from "./Exchange.ts"
import { answerFault, doctor } from "./FaultAnswers.ts"
import { Faults, type HttpFault } from "./Faults.ts"
import { Leadership } from "./Leadership.ts"
import { mesosRoute } from "./MesosRoutes.ts"
import { deploymentsRoute, groupsRoute, infoRoute, leaderRoute, pingRoute, queueRoute, tasksRoute } from "./MiscRoutes.ts"

const maxBody = 16 * 1024 * 1024

const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix + "/")

export class SimServer {
  readonly sim: Sim
  readonly faults: Faults
  readonly streams: EventStreams
  leader: Leadership
  private readonly server: Server | HttpsServer
  private readonly scheme: "http" | "https"
  private readonly pending = new Set<ReturnType<typeof setTimeout>>()
  private port = 0

  constructor(sim: Sim, tls?: { readonly cert: Buffer; readonly key: Buffer }) {
    this.sim = sim
    this.faults = new Faults(sim.ctx.ids)
    this.streams = new EventStreams(sim.ctx)
    this.leader = new Leadership("", sim.ctx.clock)
    this.leader.dropStreams = () => this.streams.closeAll()
    sim.ctx.events.interceptor = this.faults.intercept
    const receive = (req: IncomingMessage, res: ServerResponse) => this.receive(req, res)
    this.scheme = tls === undefined ? "http" : "https"
    this.server = tls === undefined
      ? createServer({ keepAliveTimeout: 60_000 }, receive)
      : createHttpsServer({ keepAliveTimeout: 60_000, cert: tls.cert, key: tls.key }, receive)
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, host, () => {
        this.server.off("error", reject)
        this.port = (this.server.address() as AddressInfo).port
        if (this.leader.host === "") this.leader.host = this.sim.ctx.options.leaderHost ?? `${host}:${this.port}`
        resolve(this.port)
      })
    })
  }

  close(): Promise<void> {
    for (const t of this.pending) clearTimeout(t)
    this.pending.clear()
    this.streams.closeAll()
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > maxBody) req.destroy()
      else chunks.push(c)
    })
    req.on("end", () => {
      const x = new Exchange(req, res, chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8"), this.headers())
      this.handle(x)
    })
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = {
      "X-Marathon-Leader": `${this.scheme}://${this.leader.host}`,
      "X-Frame-Options": "DENY",
      "X-XSS-Protection": "1; mode=block",
      "Cache-Control": "no-cache, no-store, must-revalidate",
      Pragma: "no-cache",
      Expires: "0"
    }
    // After an injected leader change this instance answers as a non-leader that proxied.
    if (this.leader.moved) h["X-Marathon-Via"] = `1.1 ${this.sim.ctx.options.host}:${this.port}`
    return h
  }

  private handle(x: Exchange): void {
    if (under(x.path, "/__sim")) {
      return this.guard(x, () => adminRoute({ sim: this.sim, faults: this.faults, leader: this.leader, streams: this.streams }, x))
    }
    const auth = this.sim.ctx.options.auth
    if (auth !== undefined && !isAuthorised(auth, x.req.headers.authorization)) return x.page(401, "Unauthorized", challenge(auth))
    const fault = this.faults.match(x.method, x.path, x.body)
    if (fault === undefined) return this.route(x)
    this.applyFault(x, fault)
  }

  private applyFault(x: Exchange, f: HttpFault): void {
    if (f.hang) {
      x.answered = true
      return
    }
    const go = () => {
      if (f.answer !== undefined) {
        const answer = f.answer
        x.rewrite = (body) => doctor(body, answer)
        return this.route(x)
      }
      if (f.commitThenFail !== undefined) {
        x.onAnswer = (status) => {
          if (status >= 400) return false
          x.onAnswer = undefined
          if (f.commitThenFail === "drop") {
            x.answered = true
            x.res.destroy()
          } else answerFault(x, f.error === undefined && f.status === undefined ? { ...f, status: 503 } : f)
          return true
        }
        return this.route(x)
      }
      if (f.status !== undefined || f.error !== undefined) return answerFault(x, f)
      this.route(x)
    }
    const delay = f.latencyMs + (f.jitterMs > 0 ? this.sim.ctx.ids.random() * f.jitterMs : 0)
    if (delay <= 0) return go()
    const t = setTimeout(() => {
      this.pending.delete(t)
      go()
    }, delay)
    this.pending.add(t)
  }

  private route(x: Exchange): void {
    this.guard(x, () => {
      const p = x.path
      if (under(p, "/api/v1") || under(p, "/maintenance") || under(p, "/master/maintenance")) return mesosRoute(this.sim.ctx.agents, x)
      if (!this.leader.elected) {
        if (under(p, "/v2/leader")) return leaderRoute(this.leader, x)
        if (under(p, "/v2/events")) {
          x.answered = true
          return void x.res.destroy()
        }
        return x.page(502, "Could not determine the current leader")
      }
      if ((x.method === "POST" || x.method === "PUT" || x.method === "PATCH") && under(p, "/v2")) {
        const type = x.req.headers["content-type"]
        if (type !== undefined && type.split(";")[0]!.trim().toLowerCase() !== "application/json") {
          return x.ok(415, { message: "Unsupported Media Type" })
        }
      }
      if (under(p, "/v2/apps")) return appsRoute(this.sim, x)
      if (under(p, "/v2/tasks")) return tasksRoute(this.sim, x)
      if (under(p, "/v2/deployments")) return deploymentsRoute(this.sim, x)
      if (under(p, "/v2/groups")) return groupsRoute(this.sim, x)
      if (under(p, "/v2/queue")) return queueRoute(this.sim, x)
      if (p === "/v2/info") return infoRoute(this.sim, this.leader, this.port, x)
      if (p === "/v2/leader") return leaderRoute(this.leader, x)
      if (p === "/v2/events") return x.method === "GET" ? this.streams.open(x, this.leader) : x.ok(405, { message: "Method Not Allowed" })
      if (p === "/ping") return pingRoute(x)
      x.ok(500, { message: "URI not found" })
    })
  }

  private guard(x: Exchange, run: () => void): void {
    try {
      run()
    } catch (e) {
      if (e instanceof ApiError) return x.error(e)
      if (e instanceof URIError) return x.ok(404, { message: `Malformed path ${x.path}` })
      x.ok(500, { message: e instanceof Error ? e.message : String(e) })
    }
  }
}
