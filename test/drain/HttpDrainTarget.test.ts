// The http drain never sends a request anywhere but the task's own host and ports, even when its
// params did not come through the schema: a real loopback server records what reaches it.
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { HttpClient } from "effect/http"
import { createServer } from "node:http"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll } from "vitest"
import type { HttpDrainCall } from "../../src/domain/Drain.ts"
import { makeHttpDrain } from "../../src/drain/HttpDrain.ts"
import type { TaskRef } from "../../src/plan/Action.ts"

let server: Server
let port: number
const seen: Array<string> = []

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`)
    if (request.url === "/redirect") response.writeHead(307, { location: `http://127.0.0.1:${port}/v2/apps/outsider.app` }).end()
    else response.writeHead(200).end("ok")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const context = { service: "web", instance: "main", registration: "web.main" }

/** Every call of the drain method uses `call`; params are cast as a stored spec could be forged. */
const drainWith = (call: { urlFormat: string; method?: string }) =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const spec = call as HttpDrainCall
    return makeHttpDrain(client, { drain: spec, stopDraining: spec, isDraining: spec, isSafeToKill: spec }, context)
  })

const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) => Effect.provide(effect, NodeHttpClient.layerUndici)

describe("http drain: requests go to the task's own host and ports only", () => {
  it.live("hostile URLs and methods fail with a DrainError and nothing reaches the server", () =>
    run(Effect.gen(function*() {
      const elsewhere: TaskRef = { id: "t1", appId: "/web.main", host: "agent-7.invalid", ports: [port], state: "TASK_RUNNING" }
      const local: TaskRef = { ...elsewhere, host: "127.0.0.1", ports: [port + 1 === 65536 ? port - 1 : port + 1] }
      const hostile: ReadonlyArray<readonly [TaskRef, { urlFormat: string; method?: string }]> = [
        [elsewhere, { urlFormat: `http://127.0.0.1:${port}/v2/apps/outsider.app?force=true` }],
        [elsewhere, { urlFormat: `http://{host}@127.0.0.1:${port}/`, method: "POST" }],
        [elsewhere, { urlFormat: `http://{host}:{port}@127.0.0.1:${port}/` }],
        [elsewhere, { urlFormat: `http://127.0.0.1:{port}/` }],
        [local, { urlFormat: `http://{host}:${port}/not-a-task-port` }],
        [{ ...local, ports: [port] }, { urlFormat: "http://{host}:{port}/v2/apps/outsider.app", method: "DELETE" }],
        [{ ...local, ports: [port] }, { urlFormat: "http://{host}:{port}/x", method: "PUT" }]
      ]
      for (const [task, call] of hostile) {
        const drain = yield* drainWith(call)
        const errors = [
          yield* Effect.flip(drain.drain(task)),
          yield* Effect.flip(drain.stopDraining(task)),
          yield* Effect.flip(drain.isDraining(task, undefined)),
          yield* Effect.flip(drain.isSafeToKill(task, undefined))
        ]
        for (const error of errors) {
          assert.strictEqual(error._tag, "DrainError")
          assert.match(error.message, /^refused: /, `${call.urlFormat}: ${error.message}`)
        }
      }
      assert.deepStrictEqual(seen, [])

      // The same server is reached when it is the task's own host and port.
      const drain = yield* drainWith({ urlFormat: "http://{host}:{port}/drain/{service}", method: "POST" })
      yield* drain.drain({ ...local, ports: [port] })
      assert.deepStrictEqual(seen, ["POST /drain/web"])

      // A task cannot bounce the controller elsewhere: redirects are not followed.
      const redirected = yield* drainWith({ urlFormat: "http://{host}:{port}/redirect", method: "POST" })
      const refused = yield* Effect.flip(redirected.drain({ ...local, ports: [port] }))
      assert.match(refused.message, /answered 307/)
      assert.deepStrictEqual(seen, ["POST /drain/web", "POST /redirect"])
    })))
})
