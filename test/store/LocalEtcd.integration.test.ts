// The local etcd starter (src/store/LocalEtcd.ts) that tests, benchmarks and `mdeploy up` use: a
// port found free can be taken before etcd binds it, and the cluster is then started again on
// other ports rather than failing the run that asked for it. A real etcd, a real listener.
import { assert, describe, it } from "@effect/vitest"
import type { Server } from "node:net"
import { createServer } from "node:net"
import { freePort, processStopped, startLocalEtcd } from "../../src/store/LocalEtcd.ts"

/** A port some other process holds: a listener on loopback, closed by the test. */
const takenPort = () =>
  new Promise<{ port: number; server: Server }>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({ port: typeof address === "object" && address !== null ? address.port : 0, server })
    })
  })

describe("startLocalEtcd", () => {
  it("starts again on other ports when a port it found free is taken before etcd binds it", async () => {
    const taken = await takenPort()
    const handed: Array<number> = []
    // The first port handed out is the taken one, as when another process wins the race.
    const ports = async () => {
      const port = handed.length === 0 ? taken.port : await freePort()
      handed.push(port)
      return port
    }
    try {
      const cluster = await startLocalEtcd({ members: 2, freePort: ports })
      try {
        const urls = cluster.members.flatMap((member) => [member.clientUrl, member.peerUrl])
        assert.isFalse(urls.some((url) => url.endsWith(`:${taken.port}`)), urls.join(" "))
        // Two members, two ports each, handed out twice: the failed start and the one that worked.
        assert.strictEqual(handed.length, 8, handed.join(" "))
        const health = await fetch(`${cluster.members[0]!.clientUrl}/health`)
        assert.strictEqual(health.status, 200)
      } finally {
        await cluster.close()
      }
    } finally {
      taken.server.close()
    }
  }, 60_000)

  it("gives up after three starts, naming the member and quoting its log", async () => {
    const taken = await takenPort()
    let handed = 0
    try {
      const error = await startLocalEtcd({
        freePort: async () => {
          handed++
          return taken.port
        }
      }).then(() => undefined, (cause: unknown) => cause)
      assert.instanceOf(error, Error)
      assert.match((error as Error).message, /^etcd member m1 exited with code \d+:\n/)
      assert.match((error as Error).message, /address already in use/)
      assert.strictEqual(handed, 6)
    } finally {
      taken.server.close()
    }
  }, 60_000)

  it("freeze returns once the member is stopped, and it answers nothing until thawed", async () => {
    const cluster = await startLocalEtcd()
    try {
      const pid = cluster.members[0]!.process!.pid!
      assert.isFalse(processStopped(pid))
      cluster.freeze(0)
      // Read at once, not waited for: freeze itself must have waited for the stop.
      assert.isTrue(processStopped(pid))
      const frozen = await fetch(`${cluster.members[0]!.clientUrl}/health`, { signal: AbortSignal.timeout(500) }).then(
        (response) => `answered ${response.status}`,
        (error: unknown) => (error as Error).name
      )
      assert.strictEqual(frozen, "TimeoutError")
      cluster.thaw(0)
      const thawed = await fetch(`${cluster.members[0]!.clientUrl}/health`, { signal: AbortSignal.timeout(5_000) })
      assert.strictEqual(thawed.status, 200)
      assert.isFalse(processStopped(pid))
    } finally {
      await cluster.close()
    }
  }, 60_000)
})
