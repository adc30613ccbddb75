// The demo's fixed ports, so the `demo` context and the printed URLs stay right from one
// `mdeploy up` to the next. Below Linux's ephemeral range (32768+), so a port the kernel hands
// out to some client never takes them. `--port-base N` moves all four.
import { createServer } from "node:net"

export const defaultPortBase = 32379

export interface DemoPorts {
  readonly etcdClient: number
  readonly etcdPeer: number
  readonly marathon: number
  /** The controller's HTTP server: status page, API, /metrics. */
  readonly http: number
}

export const demoPorts = (base: number): DemoPorts => ({ etcdClient: base, etcdPeer: base + 1, marathon: base + 2, http: base + 3 })

/** Resolves to the first port that cannot be bound on 127.0.0.1, with its role; undefined when all are free. */
export const firstTakenPort = async (ports: DemoPorts): Promise<{ readonly port: number; readonly role: string } | undefined> => {
  const roles: Array<[number, string]> = [[ports.etcdClient, "etcd client"], [ports.etcdPeer, "etcd peer"], [
    ports.marathon,
    "Marathon emulator"
  ], [ports.http, "status page"]]
  for (const [port, role] of roles) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once("error", () => resolve(false))
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
    })
    if (!free) return { port, role }
  }
  return undefined
}
