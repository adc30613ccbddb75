// A tap on the in-process emulator's HTTP server: every request it receives, seen the moment its
// headers arrive (node's `http.server.request.start` diagnostics channel, no proxy in the path).
import { subscribe, unsubscribe } from "node:diagnostics_channel"
import type { IncomingMessage } from "node:http"
import { sleep } from "./util.ts"

/**
 * "METHOD route" with app and task ids collapsed, so counts stay few. A list of one instance's apps
 * (`GET /v2/apps?id=…`) is told apart from the full list (`GET /v2/apps`).
 */
const routeOf = (method: string, path: string, query: string) => {
  if (path.startsWith("/v2/apps/")) return `${method} /v2/apps/{id}`
  if (path === "/v2/apps" && method === "GET" && /(^|&)id=/.test(query)) return "GET /v2/apps?id="
  return `${method} ${path}`
}

/**
 * Every HTTP request the in-process emulator receives on `port`, seen when its headers arrive
 * (node's `http.server.request.start` channel: no proxy in the path). Counts requests by route,
 * remembers the last arrival, and resolves `next(match)` with the arrival time of the first match.
 */
export const tapRequests = (port: number) => {
  const counts = new Map<string, number>()
  // Paths of the writes, in order: a benchmark tells its own edits' writes from the controller's.
  const writePaths: Array<string> = []
  let lastAt = performance.now()
  const waiters = new Set<
    { readonly match: (method: string, path: string, route: string) => boolean; readonly resolve: (at: number) => void }
  >()
  const onStart = (message: unknown) => {
    const req = (message as { request: IncomingMessage }).request
    if (req.socket.localPort !== port) return
    const at = performance.now()
    const method = req.method ?? "GET"
    const [rawPath, query = ""] = (req.url ?? "/").split("?") as [string, string?]
    const path = decodeURIComponent(rawPath)
    if (path.startsWith("/__sim")) return
    lastAt = at
    const route = routeOf(method, path, query)
    counts.set(route, (counts.get(route) ?? 0) + 1)
    if (method !== "GET") writePaths.push(path)
    for (const waiter of waiters) {
      if (!waiter.match(method, path, route)) continue
      waiters.delete(waiter)
      waiter.resolve(at)
    }
  }
  subscribe("http.server.request.start", onStart)
  return {
    counts,
    /** Requests so far on exactly this route ("GET /v2/apps" is the full list only). */
    count: (route: string) => counts.get(route) ?? 0,
    /** Requests so far that are not GETs: Marathon writes. */
    writes: () => [...counts].reduce((sum, [route, n]) => (route.startsWith("GET ") ? sum : sum + n), 0),
    /** Paths of the writes so far, in arrival order. */
    writePaths: writePaths as ReadonlyArray<string>,
    /** Arrival time of the next matching request, or undefined after `timeoutMs`. */
    next: (match: (method: string, path: string, route: string) => boolean, timeoutMs: number) =>
      new Promise<number | undefined>((resolve) => {
        const waiter = { match, resolve: (at: number) => (clearTimeout(timer), resolve(at)) }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          resolve(undefined)
        }, timeoutMs).unref()
        waiters.add(waiter)
      }),
    /** Waits until no request arrived for `quietMs` (at most `maxMs`). */
    quiet: async (quietMs: number, maxMs: number) => {
      const deadline = performance.now() + maxMs
      while (performance.now() - lastAt < quietMs && performance.now() < deadline) {
        await sleep(Math.max(10, quietMs - (performance.now() - lastAt)))
      }
    },
    stop: () => void unsubscribe("http.server.request.start", onStart)
  }
}
export type RequestTap = ReturnType<typeof tapRequests>
