// Test harness for the emulator: starts it in-process on a free loopback port and talks to it
// over real HTTP. Every reply is checked against Marathon's artefacts on the way: JSON bodies
// against the RAML type of their route, every app in a body against AppDefinition.json, and
// every app body the emulator accepted against AppDefinition.json too.
import { assert } from "@effect/vitest"
import { start, type RunningSim, type SimOptions } from "../../src/sim/MarathonSim.ts"
import { appDefinitionErrors, newerThanSchema, ramlErrors } from "./Artefacts.ts"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  // Tests read response bodies freely; the artefact checks above guard their shape.
  readonly json: any
}

/** A body sent as-is (malformed JSON, another content type). */
export interface RawBody {
  readonly raw: string
  readonly contentType?: string
}

const isRaw = (b: unknown): b is RawBody => typeof b === "object" && b !== null && "raw" in b

/** Fields Marathon's readers ignore in the examples; the old schema does not know them either. */
const ignoredByMarathon: Record<string, ReadonlyArray<string>> = { docker: ["forcePull", "requirePorts"] }

const schemaView = (app: Record<string, unknown>, id: string | undefined): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...(id === undefined || app["id"] !== undefined ? {} : { id }), ...app }
  for (const k of newerThanSchema) delete copy[k]
  const container = copy["container"] as Record<string, unknown> | undefined
  if (container?.["docker"] !== undefined) {
    const docker = { ...(container["docker"] as Record<string, unknown>) }
    for (const k of ignoredByMarathon["docker"]!) delete docker[k]
    copy["container"] = { ...container, docker }
  }
  return copy
}

/** The RAML type a successful answer of a route must have. */
const ramlFor = (method: string, path: string, status: number): [string, string] | undefined => {
  if (status >= 400) return ["error.raml", "Error"]
  if (status === 202 || status === 204) return undefined
  if (path.startsWith("/v2/apps")) {
    if (method === "GET" && /^\/v2\/apps\/?$/.test(path)) return ["app.raml", "AppList"]
    if (method === "GET" && path.endsWith("/tasks")) return ["task.raml", "TaskList"]
    if (method === "GET" && path.endsWith("/versions")) return ["app.raml", "VersionList"]
    if (method === "GET" && /\/versions\/[^/]+$/.test(path)) return ["app.raml", "App"]
    if (method === "POST" && /^\/v2\/apps\/?$/.test(path)) return ["app.raml", "AppInfo"]
    if (method === "DELETE" && path.includes("/tasks")) return undefined
    if (method !== "GET") return ["deploymentResult.raml", "DeploymentResult"]
    return undefined
  }
  if (method === "GET" && path === "/v2/tasks") return ["task.raml", "TaskList"]
  if (method === "GET" && path === "/v2/queue") return ["queue.raml", "Queue"]
  if (method === "GET" && path.startsWith("/v2/groups")) return ["group.raml", "GroupInfo"]
  if (method === "GET" && path === "/v2/info") return ["info.raml", "MarathonInfo"]
  if (method === "GET" && path === "/v2/leader") return ["info.raml", "LeaderInfo"]
  if (method !== "GET" && (path.startsWith("/v2/groups") || path.startsWith("/v2/deployments"))) {
    return ["deploymentResult.raml", "DeploymentResult"]
  }
  return undefined
}

/** Apps found in a body, wherever Marathon puts them. */
const appsIn = (path: string, body: any): Array<Record<string, unknown>> => {
  if (body === null || typeof body !== "object") return []
  if (Array.isArray(body.apps)) return [...body.apps, ...(body.groups ?? []).flatMap((g: unknown) => appsIn(path, g))]
  if (body.app !== undefined) return [body.app]
  if (Array.isArray(body["*"])) return body["*"]
  if (Array.isArray(body.queue)) return body.queue.map((q: any) => q.app)
  if (Array.isArray(body.groups)) return body.groups.flatMap((g: unknown) => appsIn(path, g))
  if (path.startsWith("/v2/apps") && typeof body.id === "string" && typeof body.cpus === "number") return [body]
  return []
}

export class Api {
  readonly base: string
  readonly headers: Record<string, string>
  /** Turn the artefact checks off (for deliberately odd answers such as fault bodies). */
  checks = true

  constructor(base: string, headers: Record<string, string> = {}) {
    this.base = base
    this.headers = headers
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { ...this.headers, ...headers }
    let payload: string | undefined
    if (isRaw(body)) {
      payload = body.raw
      if (body.contentType !== undefined) h["content-type"] = body.contentType
    } else if (body !== undefined) {
      payload = JSON.stringify(body)
      h["content-type"] ??= "application/json"
    }
    const res = await fetch(this.base + path, { method, headers: h, ...(payload === undefined ? {} : { body: payload }) })
    const text = await res.text()
    const isJson = (res.headers.get("content-type") ?? "").includes("application/json") && text !== ""
    const reply: Reply = { status: res.status, headers: res.headers, text, json: isJson ? JSON.parse(text) : undefined }
    if (this.checks) this.check(method, path.split("?")[0]!, body, reply)
    return reply
  }

  private check(method: string, path: string, body: unknown, reply: Reply): void {
    if (reply.json !== undefined) {
      const raml = ramlFor(method, path, reply.status)
      if (raml !== undefined && !(reply.status === 400 && typeof reply.json.details === "string")) {
        const errors = ramlErrors(raml[0], raml[1], reply.json)
        assert.strictEqual(errors, "", `${method} ${path} ${reply.status}: body is not a RAML ${raml[1]}: ${reply.text.slice(0, 500)}`)
      }
      if (method === "GET" && path === "/v2/deployments") {
        for (const d of reply.json) assert.strictEqual(ramlErrors("deploymentEventsInfo.raml", "DeploymentStepInfo", d), "", reply.text)
      }
      if (reply.status < 300 && path.startsWith("/v2/")) {
        for (const app of appsIn(path, reply.json)) {
          assert.strictEqual(appDefinitionErrors(app), "", `${method} ${path}: app ${String(app["id"])} fails AppDefinition.json`)
        }
      }
    }
    const appWrite = path.startsWith("/v2/apps") && (method === "POST" || method === "PUT" || method === "PATCH") &&
      !path.endsWith("/restart")
    if (appWrite && reply.status < 300 && !isRaw(body) && body !== undefined) {
      const pathId = path.slice("/v2/apps".length) || undefined
      for (const app of Array.isArray(body) ? body : [body]) {
        const errors = appDefinitionErrors(schemaView(app as Record<string, unknown>, pathId))
        assert.strictEqual(errors, "", `${method} ${path}: accepted body fails AppDefinition.json: ${JSON.stringify(app)}`)
      }
    }
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request("GET", path, undefined, headers)
  }
  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request("POST", path, body, headers)
  }
  put(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request("PUT", path, body, headers)
  }
  patch(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request("PATCH", path, body, headers)
  }
  delete(path: string, headers?: Record<string, string>) {
    return this.request("DELETE", path, undefined, headers)
  }

  /** Advances the virtual clock through the admin API. */
  async advance(seconds: number): Promise<void> {
    const r = await this.post("/__sim/clock/advance", { seconds })
    assert.strictEqual(r.status, 200, r.text)
  }
}

export interface Harness {
  readonly sim: RunningSim
  readonly api: Api
}

/** Starts an emulator (virtual clock unless told otherwise). Close it with `sim.close()`. */
export const startSim = async (options: Partial<SimOptions> = {}): Promise<Harness> => {
  const sim = await start({ clock: "virtual", ...options })
  return { sim, api: new Api(sim.url) }
}

/** The fixture app of the spec's conformance statements. */
export const web = { id: "/c/web", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 2 }

/** The suite's one wait with a deadline (real time), here for the emulator's tests too. */
export { waitUntil } from "../harness/wait.ts"

/**
 * Advances virtual time in steps until `check` holds; fails after `maxSeconds` of emulator
 * time. Deterministic: the emulator only moves when told to.
 */
export const advanceUntil = async (
  api: Api,
  description: string,
  check: () => Promise<boolean>,
  stepSeconds = 0.1,
  maxSeconds = 600
): Promise<void> => {
  for (let t = 0; t <= maxSeconds; t += stepSeconds) {
    if (await check()) return
    await api.advance(stepSeconds)
  }
  assert.fail(`emulator time ran out waiting until ${description}`)
}

/** True once no deployment is listed. */
export const noDeployments = (api: Api) => async () => (await api.get("/v2/deployments")).json.length === 0

/** Creates the fixture (or another app) and runs it until its deployment is done. */
export const deployApp = async (api: Api, app: Record<string, unknown> = web): Promise<Reply> => {
  const r = await api.post("/v2/apps", app)
  assert.strictEqual(r.status, 201, r.text)
  await advanceUntil(api, `${String(app["id"])} is deployed`, noDeployments(api))
  return r
}
