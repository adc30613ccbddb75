// The load balancer side of drains for the soak: a fake hacheck spool and a fake http-drain
// service, listening on one port of every emulator agent's loopback address (127.0.0.2, …), where
// the controller's drain calls for a task on that agent land. Tasks are "safe to kill" `delayS`
// after they were marked down, as hacheck and a typical http drain service would answer.
import { createServer, type Server } from "node:http"
import { freePort } from "../../src/store/LocalEtcd.ts"

export interface DrainBackend {
  readonly port: number
  /** Drain calls received, by kind ("hacheck down", "http drain", ...). */
  readonly calls: Map<string, number>
  readonly close: () => Promise<void>
}

export const startDrainBackend = async (hosts: ReadonlyArray<string>, delayS: number): Promise<DrainBackend> => {
  const calls = new Map<string, number>()
  const count = (kind: string) => calls.set(kind, (calls.get(kind) ?? 0) + 1)
  // hacheck: "<host> <registration>/<port>" → down since (epoch seconds); http: task id → since.
  const spool = new Map<string, number>()
  const drained = new Map<string, number>()
  const handler = (host: string) =>
    createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://drain.invalid")
        const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent)
        const now = Date.now() / 1000
        const answer = (status: number, text: string) => {
          res.writeHead(status, { "Content-Type": "text/plain" })
          res.end(text)
        }
        if (parts[0] === "spool" && parts.length === 4) {
          const key = `${host} ${parts[1]}/${parts[2]}`
          if (req.method === "POST") {
            const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
            if (form.get("status") === "down") spool.set(key, spool.get(key) ?? now)
            else spool.delete(key)
            count(`hacheck ${form.get("status") ?? "?"}`)
            return answer(200, "")
          }
          const since = spool.get(key)
          return since === undefined
            ? answer(200, `Service ${parts[1]} in up state`)
            : answer(503, `Service ${parts[1]} in down state since ${since.toFixed(3)}: Drained by mdeploy`)
        }
        const [kind, taskId] = parts
        if (taskId === undefined) return answer(404, "no such route")
        count(`http ${kind}`)
        switch (kind) {
          case "drain":
            drained.set(taskId, drained.get(taskId) ?? now)
            return answer(200, "")
          case "undrain":
            drained.delete(taskId)
            return answer(200, "")
          case "draining":
            return answer(drained.has(taskId) ? 200 : 404, "")
          case "safe": {
            const since = drained.get(taskId)
            return answer(since !== undefined && now - since >= delayS ? 200 : 409, "")
          }
          default:
            return answer(404, "no such route")
        }
      })
    })
  // One port free on 127.0.0.1 is taken on every agent address too (nothing else binds them).
  const port = await freePort()
  const servers: Array<Server> = []
  for (const host of hosts) {
    const server = handler(host)
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, host, () => resolve())
    })
    servers.push(server)
  }
  return {
    port,
    calls,
    close: async () => {
      await Promise.all(servers.map((server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      ))
    }
  }
}
