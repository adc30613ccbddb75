// Fault injection (spec §7; design.md §7 `POST /__sim/faults`): per-route HTTP faults (latency,
// hangs, error answers with Marathon's texts, commit-then-fail) and event-stream faults (drop,
// duplicate, reorder, silence) and doctored answers (an empty app list, apps without their tasks).
// Each fault applies `times` times (default: until cleared) with an
// optional probability drawn from the emulator's seeded generator, so runs are repeatable.
import { isObject, type Json, type JsonObject } from "../apps/Shape.ts"
import type { SimEvent, Subscriber } from "../events/EventBus.ts"
import type { IdSource } from "../ids/IdSource.ts"
import { canonical } from "../ids/PathId.ts"

export type Preset =
  | "internal"
  | "leaderRefused"
  | "proxyLoop"
  | "noLeader"
  | "unavailable"
  | "tooManyRequests"
  | "maxDeployments"
  | "timeout"
const presets: ReadonlyArray<Preset> = [
  "internal",
  "leaderRefused",
  "proxyLoop",
  "noLeader",
  "unavailable",
  "tooManyRequests",
  "maxDeployments",
  "timeout"
]

export interface HttpFault {
  readonly id: number
  readonly kind: "http"
  readonly route: RegExp | undefined
  readonly routeText: string | undefined
  readonly method: string | undefined
  readonly appId: string | undefined
  readonly status: number | undefined
  readonly message: string | undefined
  readonly error: Preset | undefined
  readonly latencyMs: number
  readonly jitterMs: number
  readonly hang: boolean
  readonly commitThenFail: "drop" | "error" | undefined
  /** A successful answer, doctored: no apps at all, or every app (and task list) without tasks. */
  readonly answer: Answer | undefined
  readonly probability: number
  remaining: number
}

export type Answer = "empty" | "noTasks"

export type SseMode = "drop" | "duplicate" | "reorder" | "silence"

export interface SseFault {
  readonly id: number
  readonly kind: "sse"
  readonly mode: SseMode
  readonly eventType: string | undefined
  readonly probability: number
  remaining: number
}

/** `/v2/apps` matches that path and everything below it; `*` is a wildcard. */
const routePattern = (text: string): RegExp => {
  const escaped = text.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
  return new RegExp(text.includes("*") ? `^${escaped}$` : `^${escaped}(/.*)?$`)
}

export class Faults {
  readonly http: Array<HttpFault> = []
  readonly sse: Array<SseFault> = []
  private nextId = 1
  private readonly ids: IdSource
  private readonly held = new WeakMap<Subscriber, SimEvent>()

  constructor(ids: IdSource) {
    this.ids = ids
  }

  clear(): void {
    this.http.length = 0
    this.sse.length = 0
  }

  /** Adds an HTTP or event-stream fault from an admin body; returns its id or an error text. */
  add(body: JsonObject): number | string {
    const times = body["times"]
    const remaining = typeof times === "number" && times > 0 ? times : Infinity
    const probability = typeof body["probability"] === "number" ? body["probability"] : 1
    const num = (k: string) => (typeof body[k] === "number" ? (body[k] as number) : 0)
    const id = this.nextId++
    if (typeof body["sse"] === "string") {
      const mode = body["sse"]
      if (mode !== "drop" && mode !== "duplicate" && mode !== "reorder" && mode !== "silence") {
        return "sse must be one of drop, duplicate, reorder, silence, silent, disconnect"
      }
      this.sse.push({ id, kind: "sse", mode, eventType: str(body["eventType"]), probability, remaining })
      return id
    }
    const error = str(body["error"])
    if (error !== undefined && !presets.includes(error as Preset)) return `error must be one of ${presets.join(", ")}`
    const ctf = body["commitThenFail"]
    const commitThenFail = ctf === true || ctf === "drop" ? "drop" : ctf === "error" ? "error" : undefined
    const answer = str(body["answer"])
    if (answer !== undefined && answer !== "empty" && answer !== "noTasks") return "answer must be one of empty, noTasks"
    const route = str(body["route"])
    const appId = str(body["appId"])
    this.http.push({
      id,
      kind: "http",
      route: route === undefined ? undefined : routePattern(route),
      routeText: route,
      method: str(body["method"])?.toUpperCase(),
      appId: appId === undefined ? undefined : canonical(appId),
      status: typeof body["status"] === "number" ? body["status"] : undefined,
      message: str(body["message"]),
      error: error as Preset | undefined,
      latencyMs: num("latencyMs"),
      jitterMs: num("jitterMs"),
      hang: body["hang"] === true,
      commitThenFail,
      answer: answer as Answer | undefined,
      probability,
      remaining
    })
    return id
  }

  private fires(f: { probability: number; remaining: number }): boolean {
    if (f.remaining <= 0 || (f.probability < 1 && this.ids.random() >= f.probability)) return false
    f.remaining--
    return true
  }

  /** The first HTTP fault that applies to this request (consuming one of its `times`). */
  match(method: string, path: string, body: string): HttpFault | undefined {
    for (const f of this.http) {
      if (f.remaining <= 0) continue
      if (f.method !== undefined && f.method !== method) continue
      if (f.route !== undefined && !f.route.test(path)) continue
      if (f.appId !== undefined && !mentionsApp(f.appId, path, body)) continue
      if (this.fires(f)) return f
    }
    return undefined
  }

  /** EventBus interceptor for event-stream subscribers. */
  intercept = (s: Subscriber, e: SimEvent): ReadonlyArray<SimEvent> | undefined => {
    const held = this.held.get(s)
    for (const f of this.sse) {
      if (f.remaining <= 0 || (f.eventType !== undefined && f.eventType !== e.eventType)) continue
      if (f.mode !== "silence" && !this.fires(f)) continue
      switch (f.mode) {
        case "silence":
        case "drop":
          return []
        case "duplicate":
          return held === undefined ? [e, e] : (this.held.delete(s), [e, e, held])
        case "reorder":
          this.held.set(s, e)
          return held === undefined ? [] : [held]
      }
    }
    if (held === undefined) return undefined
    this.held.delete(s)
    return [e, held]
  }

  list(): Array<JsonObject> {
    const http = this.http.map((f) => ({ ...f, route: f.routeText ?? null, routeText: undefined, remaining: finite(f.remaining) }))
    const sse = this.sse.map((f) => ({ ...f, remaining: finite(f.remaining) }))
    return JSON.parse(JSON.stringify([...http, ...sse])) as Array<JsonObject>
  }
}

const str = (v: Json | undefined): string | undefined => (typeof v === "string" ? v : undefined)
const finite = (n: number) => (Number.isFinite(n) ? n : null)

const mentionsApp = (appId: string, path: string, body: string): boolean => {
  const prefix = "/v2/apps" + appId
  if (path === prefix || path.startsWith(prefix + "/")) return true
  if (!body.includes(appId.slice(1))) return false
  try {
    const parsed = JSON.parse(body) as Json
    const ids = Array.isArray(parsed) ? parsed : [parsed]
    return ids.some((a) => isObject(a) && typeof a["id"] === "string" && canonical(a["id"]) === appId)
  } catch {
    return false
  }
}
