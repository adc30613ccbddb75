// A loopback webhook receiver for notification tests: every request is recorded (body, headers,
// what was answered); how it answers is switched by the test — ok, down (503), dropped (the socket
// is destroyed without an answer), slow (answers after a delay) or hang (never answers).
import { createServer } from "node:http"
import type { IncomingHttpHeaders, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export type ReceiverMode = "ok" | "down" | "dropped" | "hang" | { readonly slowMs: number }

export interface ReceivedRequest {
  readonly body: string
  readonly headers: IncomingHttpHeaders
  /** 200 when accepted; 503 when down; 0 when dropped or still hanging. */
  answered: number
}

export interface Receiver {
  readonly url: string
  readonly requests: () => ReadonlyArray<ReceivedRequest>
  /** Requests answered 200: the notifications delivered. */
  readonly accepted: () => ReadonlyArray<ReceivedRequest>
  /** Requests without an answer yet. */
  readonly open: () => number
  setMode: (mode: ReceiverMode | ((index: number) => ReceiverMode)) => void
  readonly close: () => Promise<void>
}

export const startReceiver = async (initial: ReceiverMode = "ok"): Promise<Receiver> => {
  const requests: Array<ReceivedRequest> = []
  const hanging = new Set<ServerResponse>()
  let mode: (index: number) => ReceiverMode = () => initial
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const entry: ReceivedRequest = { body: Buffer.concat(chunks).toString("utf8"), headers: request.headers, answered: 0 }
      const now = mode(requests.length)
      requests.push(entry)
      const answer = (status: number) => {
        hanging.delete(response)
        entry.answered = status
        response.writeHead(status).end()
      }
      if (now === "ok") answer(200)
      else if (now === "down") answer(503)
      else if (now === "dropped") request.socket.destroy()
      else if (now === "hang") hanging.add(response)
      else {
        hanging.add(response)
        setTimeout(() => answer(200), now.slowMs)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => requests,
    accepted: () => requests.filter((entry) => entry.answered === 200),
    open: () => hanging.size,
    setMode: (next) => {
      mode = typeof next === "function" ? next : () => next
    },
    close: async () => {
      for (const response of hanging) response.socket?.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
