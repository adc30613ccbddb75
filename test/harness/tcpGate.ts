// A loopback TCP relay in front of one server that a test can cut and reconnect: cutting destroys
// every open connection and refuses new ones, as a network partition between one client and a
// server that stays up (and keeps taking writes from others) would.
import { connect, createServer } from "node:net"
import type { AddressInfo, Socket } from "node:net"

export interface TcpGate {
  /** `http://127.0.0.1:<port>`, to use in place of the target's URL. */
  readonly url: string
  readonly cut: () => void
  readonly reconnect: () => void
  /** Connections accepted while cut (each closed at once): proof that the client tried. */
  readonly refused: () => number
  readonly close: () => Promise<void>
}

export const startTcpGate = async (targetUrl: string): Promise<TcpGate> => {
  const target = new URL(targetUrl)
  const open = new Set<Socket>()
  let isCut = false
  let refused = 0
  const server = createServer((client) => {
    if (isCut) {
      refused++
      client.destroy()
      return
    }
    const upstream = connect({ host: target.hostname, port: Number(target.port) })
    open.add(client)
    open.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on("error", drop).on("close", drop)
    upstream.on("error", drop).on("close", drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      isCut = true
      for (const socket of open) socket.destroy()
      open.clear()
    },
    reconnect: () => {
      isCut = false
    },
    refused: () => refused,
    close: () => {
      for (const socket of open) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
