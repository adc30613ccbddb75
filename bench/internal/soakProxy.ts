// A loopback proxy in front of the emulator for ONE controller slot: every request that slot's
// controller makes is reported with its arrival time, the slot's name and the emulator's answer
// status (undefined when none came back), so the soak can tell which controller wrote what.
// Event streams pass through unbuffered; a killed controller's half-open requests still report.
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import type { ProxyRecord } from "./soakInvariants.ts"

export interface SoakProxy {
  readonly url: string
  readonly close: () => Promise<void>
}

export const startSoakProxy = async (target: string, controller: string, report: (record: ProxyRecord) => void): Promise<SoakProxy> => {
  const upstream = new URL(target)
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("error", () => undefined)
    req.on("end", () => {
      const at = performance.now()
      const body = Buffer.concat(chunks)
      let reported = false
      const done = (status: number | undefined) => {
        if (reported) return
        reported = true
        report({ at, controller, method: req.method ?? "GET", path: req.url ?? "/", body: body.toString("utf8"), status })
      }
      const forward = request({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host }
      }, (answer) => {
        // The status is what the emulator decided; the body may still be streaming.
        done(answer.statusCode)
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        answer.on("error", () => res.destroy())
      })
      forward.on("error", () => {
        done(undefined)
        if (!res.headersSent) res.writeHead(502)
        res.end()
      })
      res.on("close", () => {
        forward.destroy()
        done(undefined)
      })
      forward.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
