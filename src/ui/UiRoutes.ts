// The read-only routes of the controller's HTTP server (design.md §13): the status page, one page
// per instance, and the JSON API under /api/v1. GET and HEAD only; everything is read from etcd.
import { Clock, Effect } from "effect"
import { randomBytes } from "node:crypto"
import type { ServerResponse } from "node:http"
import type { ApiReads } from "./ApiReads.ts"
import { parseSince } from "./ApiReads.ts"
import { contentSecurityPolicy, indexMain, instanceMain, page } from "./StatusPage.ts"

const namePattern = "([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)"
const instancePage = new RegExp(`^/instances/${namePattern}$`)
const rolloutsApi = new RegExp(`^/api/v1/instances/${namePattern}/rollouts$`)

export interface UiAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const json = (status: number, value: unknown): UiAnswer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" },
  body: `${JSON.stringify(value)}\n`
})

const html = (body: string, nonce: string): UiAnswer => ({
  status: 200,
  headers: {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": contentSecurityPolicy(nonce),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer"
  },
  body
})

const decodeName = (raw: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** The answer for a GET of `path`, or undefined when the path is not one of these routes. */
export const uiRoute = (reads: ApiReads, path: string, query: URLSearchParams): Effect.Effect<UiAnswer, unknown> | undefined => {
  const part = query.get("part") === "main"
  const nonce = randomBytes(16).toString("base64")
  // Browsers ask for it on every page; an empty answer keeps their consoles clean.
  if (path === "/favicon.ico") return Effect.succeed({ status: 204, headers: { "cache-control": "max-age=86400" }, body: "" })
  if (path === "/") {
    return Effect.map(reads.instances, (list) => html(part ? indexMain(list) : page("mdeploy", nonce, indexMain(list)), nonce))
  }
  const one = instancePage.exec(decodeName(path))
  if (one !== null) {
    const name = one[1]!
    return Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const [view, rollouts, events] = yield* Effect.all([
        reads.instance(name),
        reads.rolloutsOf(name),
        reads.recentEvents(name, undefined)
      ], { concurrency: 3 })
      const main = instanceMain(view, name, rollouts, events.slice(0, 50), now)
      return { ...html(part ? main : page(name, nonce, main), nonce), status: view === undefined ? 404 : 200 }
    })
  }
  if (path === "/api/v1/instances") return Effect.map(reads.instances, (list) => json(200, list))
  const rollouts = rolloutsApi.exec(path)
  if (rollouts !== null) return Effect.map(reads.rolloutsOf(rollouts[1]!), (items) => json(200, { items }))
  if (path === "/api/v1/events") {
    return Effect.gen(function*() {
      const since = parseSince(query.get("since"), yield* Clock.currentTimeMillis)
      if (since === "invalid") return json(400, { error: "since: expected an ISO time or an age like 300, 90s, 15m, 2h" })
      const instance = query.get("instance")
      const items = yield* reads.recentEvents(instance === null || instance === "" ? undefined : instance, since)
      return json(200, { items: items.map(({ instance, event }) => ({ instance, ...event })) })
    })
  }
  return undefined
}

export const send = (response: ServerResponse, answer: UiAnswer, head: boolean) => {
  if (response.headersSent) return
  response.writeHead(answer.status, answer.headers)
  response.end(head ? undefined : answer.body)
}
