// What an injected HTTP error looks like on the wire (F2): Marathon's own texts and formats —
// JSON for its exception mapper, Jetty HTML pages for the leader proxy and the concurrency
// limit, an empty body for a failing authenticator. Also the doctored answers of a successful
// read (`answer`): the kind of inconsistent list a Marathon under stress has been seen to give.
import { STATUS_CODES } from "node:http"
import { isObject, type Json } from "../apps/Shape.ts"
import { tooManyDeployments } from "../state/ApiError.ts"
import type { Exchange } from "./Exchange.ts"
import type { Answer, HttpFault } from "./Faults.ts"

const maxDeployments = tooManyDeployments(100)

export const answerFault = (x: Exchange, f: HttpFault): void => {
  switch (f.error) {
    case "internal":
      return x.ok(f.status ?? 500, { message: f.message ?? "An unexpected server error occurred." })
    case "leaderRefused":
      return x.page(502, "Connection to leader refused.")
    case "proxyLoop":
      return x.page(502, "Detected proxying loop.")
    case "noLeader":
      return x.page(502, "Could not determine the current leader")
    case "unavailable":
      return x.send(503, "", undefined)
    case "tooManyRequests":
      return x.page(503, f.message ?? "Too many concurrent requests! Allowed: 1.")
    case "maxDeployments":
      return x.ok(403, { message: f.message ?? maxDeployments })
    case "timeout":
      return x.ok(503, { message: f.message ?? "Timed out while waiting for the leader." })
    case undefined: {
      const status = f.status ?? 500
      if (status === 503 && f.message === undefined) return x.send(503, "", undefined)
      return x.ok(status, { message: f.message ?? STATUS_CODES[status] ?? "Error" })
    }
  }
}

/**
 * `empty`: every `apps` list is answered empty. `noTasks`: apps keep their task counts
 * (`tasksRunning` …) but list no tasks, and task lists are empty. Other bodies pass unchanged.
 */
export const doctor = (body: string, answer: Answer): string => {
  let parsed: Json
  try {
    parsed = JSON.parse(body) as Json
  } catch {
    return body
  }
  if (!isObject(parsed)) return body
  const out: Record<string, Json> = { ...parsed }
  const stripped = (app: Json): Json => (isObject(app) && Array.isArray(app["tasks"]) ? { ...app, tasks: [] } : app)
  if (Array.isArray(out["apps"])) out["apps"] = answer === "empty" ? [] : out["apps"].map(stripped)
  if (answer === "noTasks") {
    if (out["app"] !== undefined) out["app"] = stripped(out["app"])
    if (Array.isArray(out["tasks"])) out["tasks"] = []
  }
  return JSON.stringify(out)
}
