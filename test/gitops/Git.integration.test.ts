import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { createServer } from "node:net"
import type { Socket } from "node:net"
import { git, remoteCommit } from "../../src/gitops/Git.ts"

describe("git calls", () => {
  it("a remote that accepts and never answers is cut off at the call's deadline", async () => {
    const sockets: Array<Socket> = []
    const server = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as { port: number }).port
    try {
      const started = performance.now()
      const result = await Effect.runPromise(
        Effect.result(remoteCommit(`http://127.0.0.1:${port}/repo.git`, undefined, { timeoutMs: 500 }))
      )
      const elapsed = performance.now() - started
      assert.isTrue(Result.isFailure(result))
      assert.match(Result.isFailure(result) ? result.failure.message : "", /timed out after 500 ms/)
      assert.isBelow(elapsed, 3_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  })

  it("fails with git's own words, scrubbed of credentials", async () => {
    const missing = await Effect.runPromise(
      Effect.result(git("ls-remote", ["ls-remote", "--", "file:///nonexistent/x.git"], { timeoutMs: 5_000 }))
    )
    assert.match(Result.isFailure(missing) ? missing.failure.message : "", /^fatal: .*does not appear to be a git repository/)
    const refused = await Effect.runPromise(
      Effect.result(git("ls-remote", ["ls-remote", "--", "https://bot:s3cret@127.0.0.1:1/x.git"], { timeoutMs: 5_000 }))
    )
    const message = Result.isFailure(refused) ? refused.failure.message : ""
    assert.match(message, /^fatal: unable to access/)
    assert.notInclude(message, "s3cret")
  })
})
