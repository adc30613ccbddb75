// A loopback HTTP proxy in front of the Marathon emulator that records every request the
// controller makes (method, path, body), so tests can assert what was written — "no app created
// twice", "no task killed twice" — without trusting the controller's own account. Streams
// (the SSE event bus) pass through untouched.
import { createServer, request as httpRequest } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly at: number
  readonly method: string
  readonly path: string
  readonly body: string
  status?: number | undefined
}

export interface RecordingProxy {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  /** Writes only: POST/PUT/PATCH/DELETE on /v2. */
  readonly writes: () => ReadonlyArray<RecordedRequest>
  /**
   * Runs `act` once, on the first request `matches` accepts, before that request goes on to the
   * emulator: what the caller does there (freeze the controller) happens while the request is in
   * flight, before its sender can have seen an answer or sent anything after it.
   */
  readonly onceBeforeForward: (matches: (request: RecordedRequest) => boolean, act: () => void) => void
  readonly close: () => Promise<void>
}

export const startRecordingProxy = async (target: string): Promise<RecordingProxy> => {
  const upstream = new URL(target)
  const requests: Array<RecordedRequest> = []
  const hooks: Array<{ readonly matches: (request: RecordedRequest) => boolean; readonly act: () => void }> = []
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks)
      const record: RecordedRequest = {
        at: performance.now(),
        method: req.method ?? "GET",
        path: req.url ?? "/",
        body: body.toString("utf8")
      }
      requests.push(record)
      const hook = hooks.findIndex((candidate) => candidate.matches(record))
      if (hook >= 0) hooks.splice(hook, 1)[0]!.act()
      const forward = httpRequest({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host }
      }, (answer) => {
        record.status = answer.statusCode
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      forward.on("error", () => {
        if (!res.headersSent) res.writeHead(502)
        res.end()
      })
      res.on("close", () => forward.destroy())
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method !== "GET" && r.path.startsWith("/v2/")),
    onceBeforeForward: (matches, act) => {
      hooks.push({ matches, act })
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** Task ids a request kills, answered or not: a bulk POST /v2/tasks/delete or a single DELETE. */
export const taskIdsKilledBy = (r: RecordedRequest): Array<string> => {
  if (r.method === "POST" && r.path.startsWith("/v2/tasks/delete")) return (JSON.parse(r.body) as { ids: Array<string> }).ids
  const single = r.path.match(/^\/v2\/apps\/.+\/tasks\/([^/?]+)/)
  return r.method === "DELETE" && single !== null ? [single[1]!] : []
}

/** Task ids of every kill the emulator accepted. */
export const killedTaskIds = (writes: ReadonlyArray<RecordedRequest>): Array<string> =>
  writes.filter((r) => r.status !== undefined && r.status < 300).flatMap(taskIdsKilledBy)

/** Ids of the apps the emulator created (201) for these writes. */
export const createdAppIds = (writes: ReadonlyArray<RecordedRequest>): Array<string> =>
  writes.filter((r) => r.method === "POST" && r.path.startsWith("/v2/apps") && r.status === 201)
    .map((r) => (JSON.parse(r.body) as { id: string }).id)
