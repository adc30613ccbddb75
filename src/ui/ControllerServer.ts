// The controller's HTTP server (design.md §13), on every replica when --http-addr is given. It
// routes /healthz, /readyz, Prometheus /metrics (telemetry's handler), the status page and the JSON
// API (UiRoutes.ts), and the GitOps webhooks POST /hooks/git/<name>; a webhook body over 1 MiB is
// refused (413) as soon as it is announced or reaches the limit, before anything is verified or
// written.
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:http"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { handleWebhook } from "../gitops/Webhook.ts"
import type { GitSourceStore } from "../store/GitSourceStore.ts"
import { parseListenAddress } from "../telemetry/internal/exportSettings.ts"
import type { ApiServices } from "./ApiReads.ts"
import { makeApiReads } from "./ApiReads.ts"
import { send, uiRoute } from "./UiRoutes.ts"

export interface ServerOptions {
  /** Answers GET /metrics (Prometheus); absent: 404. */
  readonly metricsHandler?: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
}

export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", { message: Schema.String }) {}

export const maxWebhookBytes = 1024 * 1024

const hookPath = /^\/hooks\/git\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/

/** After a 413, how much more of the body is read and thrown away, and for how long, before the connection is cut. */
const drainAfterRefusal = { bytes: 64 * 1024 * 1024, ms: 2_000 }

/**
 * Refuses an oversized body and closes the connection once the answer is out. A client still
 * sending meets a reset if the socket is cut at once, and may lose the 413 with it; so what
 * follows is read and dropped, for a bounded time and size (as Go's net/http does), then cut.
 */
const refuseBody = (request: IncomingMessage, response: ServerResponse) => {
  response.once("finish", () => {
    let drained = 0
    const cut = setTimeout(() => request.destroy(), drainAfterRefusal.ms)
    cut.unref()
    request.removeAllListeners("data")
    request.on("data", (chunk: Buffer) => {
      drained += chunk.length
      if (drained > drainAfterRefusal.bytes) request.destroy()
    })
    request.once("close", () => clearTimeout(cut))
    request.resume()
  })
  reply(response, 413, "body over the 1 MiB limit")
}

const reply = (response: ServerResponse, status: number, message: string) => {
  if (response.headersSent) return
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: status >= 400 ? "close" : "keep-alive" })
  response.end(`${message}\n`)
}

/** Reads the body up to the limit; undefined when it is over (the response has been sent). */
const readBody = (request: IncomingMessage, response: ServerResponse): Promise<Buffer | undefined> =>
  new Promise((resolve) => {
    const announced = Number(request.headers["content-length"] ?? 0)
    if (announced > maxWebhookBytes) {
      refuseBody(request, response)
      resolve(undefined)
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    let over = false
    request.on("data", (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > maxWebhookBytes) {
        over = true
        refuseBody(request, response)
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    request.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks))
    })
    request.on("error", () => resolve(undefined))
  })

/** Starts the server on `addr` for the scope's lifetime; returns the bound `host:port`. */
export const serveController = (
  addr: string,
  env: Readonly<Record<string, string | undefined>>,
  options: ServerOptions = {}
): Effect.Effect<string, ServerError, GitSourceStore | ApiServices | Scope.Scope> =>
  Effect.gen(function*() {
    const address = parseListenAddress(addr)
    if (address === undefined) return yield* new ServerError({ message: `--http-addr: expected host:port, got ${JSON.stringify(addr)}` })
    const context = yield* Effect.context<GitSourceStore | ApiServices>()
    const run = <A>(effect: Effect.Effect<A, unknown, GitSourceStore | ApiServices>) => Effect.runPromiseWith(context)(effect)
    const reads = yield* makeApiReads

    const handle = async (request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? "/", "http://controller")
      const path = url.pathname
      if (path === "/healthz") return reply(response, 200, "ok")
      if (path === "/readyz") return (await run(reads.ready)) ? reply(response, 200, "ok") : reply(response, 503, "etcd does not answer")
      const read = request.method === "GET" || request.method === "HEAD"
      if (path === "/metrics" && read && options.metricsHandler !== undefined) return options.metricsHandler(request, response)
      const ui = read ? uiRoute(reads, path, url.searchParams) : undefined
      if (ui !== undefined) {
        const answer = await run(ui).catch((error) => ({
          status: 503,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: `cannot read the store: ${String(error?.message ?? error).split("\n")[0]}\n`
        }))
        return send(response, answer, request.method === "HEAD")
      }
      const hook = hookPath.exec(path)
      if (hook === null) return reply(response, 404, "not found")
      if (request.method !== "POST") return reply(response, 405, "webhooks are POST")
      const body = await readBody(request, response)
      if (body === undefined) return
      const answer = await run(handleWebhook(hook[1]!, request.headers, body, env)).catch((error) => ({
        status: 500 as const,
        message: `could not record the request: ${String(error?.message ?? error)}`
      }))
      reply(response, answer.status, answer.message)
    }

    const server = yield* Effect.acquireRelease(
      Effect.callback<Server, ServerError>((resume) => {
        const server = createServer((request, response) => {
          handle(request, response).catch(() => reply(response, 500, "internal error"))
        })
        // A client that trickles its request is cut off: webhooks are small and come at once.
        server.headersTimeout = 10_000
        server.requestTimeout = 30_000
        server.once("error", (error) => resume(Effect.fail(new ServerError({ message: `cannot listen on ${addr}: ${error.message}` }))))
        server.listen({ host: address.host, port: address.port }, () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    const bound = server.address()
    const port = typeof bound === "object" && bound !== null ? bound.port : address.port
    const url = `${address.host.includes(":") ? `[${address.host}]` : address.host}:${port}`
    yield* Effect.logInfo("controller http server listening").pipe(Effect.annotateLogs({ url: `http://${url}` }))
    return url
  })
