import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll } from "vitest"
import { binPath, repoRoot, runCli } from "../harness/cli.ts"
import type { TestCerts } from "../harness/certs.ts"
import { makeTestCerts } from "../harness/certs.ts"
import { httpsCall } from "../harness/https.ts"
import { waitUntil } from "../harness/wait.ts"

// `mdeploy marathon-sim --tls-cert --tls-key --basic-auth`: HTTPS, and basic auth on the Marathon
// API as Marathon's --http_credentials, while the /__sim admin API stays open.

let certs: TestCerts
let ca: Buffer
let sim: ChildProcess
let url: string
let output = ""
beforeAll(async () => {
  certs = makeTestCerts()
  ca = readFileSync(certs.caFile)
  sim = spawn(process.execPath, [
    binPath,
    "marathon-sim",
    "--port",
    "0",
    "--tls-cert",
    certs.serverCertFile,
    "--tls-key",
    certs.serverKeyFile,
    "--basic-auth",
    "ops:s3cret-w0rd"
  ], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
  sim.stdout!.on("data", (chunk) => (output += chunk))
  sim.stderr!.on("data", (chunk) => (output += chunk))
  url = await waitUntil("marathon-sim listening", () => /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], {
    timeoutMs: 30_000
  })
})
afterAll(async () => {
  if (sim !== undefined && sim.exitCode === null) {
    const exited = new Promise((resolve) => sim.once("exit", resolve))
    sim.kill("SIGTERM")
    await exited
  }
  certs?.remove()
})

describe("marathon-sim over HTTPS with basic auth", () => {
  it("serves HTTPS and says so without printing the password", () => {
    assert.include(output, "basic auth required")
    assert.notInclude(output, "s3cret-w0rd")
  })

  it("answers /v2 and /ping with the right credentials", async () => {
    const ping = await httpsCall(`${url}/ping`, { ca, auth: "ops:s3cret-w0rd" })
    assert.strictEqual(ping.status, 200)
    const apps = await httpsCall(`${url}/v2/apps`, { ca, auth: "ops:s3cret-w0rd" })
    assert.strictEqual(apps.status, 200)
    assert.deepStrictEqual(JSON.parse(apps.body), { apps: [] })
    const created = await httpsCall(`${url}/v2/apps`, {
      ca,
      auth: "ops:s3cret-w0rd",
      method: "POST",
      body: { id: "/tls/web", cmd: "sleep 1", instances: 1 }
    })
    assert.strictEqual(created.status, 201, created.body)
    assert.strictEqual(created.headers["location"], `${url}/tls/web`)
  })

  it("answers 401 with WWW-Authenticate without credentials or with wrong ones", async () => {
    for (const auth of [undefined, "ops:wrong", "root:s3cret-w0rd"]) {
      for (const path of ["/v2/apps", "/ping", "/v2/info"]) {
        const answer = await httpsCall(`${url}${path}`, { ca, ...(auth === undefined ? {} : { auth }) })
        assert.strictEqual(answer.status, 401, `${path} with ${auth}`)
        assert.strictEqual(answer.headers["www-authenticate"], "basic realm=\"Mesosphere\"")
      }
    }
  })

  it("keeps the /__sim admin API open", async () => {
    const state = await httpsCall(`${url}/__sim/state`, { ca })
    assert.strictEqual(state.status, 200)
    assert.isArray(JSON.parse(state.body).apps)
  })

  it("refuses a client that does not trust its certificate", async () => {
    const untrusted = await httpsCall(`${url}/ping`, { ca: readFileSync(certs.clientCertFile), auth: "ops:s3cret-w0rd" }).then(
      () => "answered",
      (error: Error) => error.message
    )
    assert.match(untrusted, /certificate/)
  })

  it("rejects half a TLS configuration and a malformed --basic-auth in one line", async () => {
    const half = await runCli(["marathon-sim", "--port", "0", "--tls-cert", certs.serverCertFile])
    assert.strictEqual(half.code, 2)
    assert.strictEqual(half.stderr.trim(), "error: --tls-cert and --tls-key go together")
    const malformed = await runCli(["marathon-sim", "--port", "0", "--basic-auth", "nocolon"])
    assert.strictEqual(malformed.code, 2)
    assert.strictEqual(malformed.stderr.trim(), "error: --basic-auth: expected USER:PASS")
    const missing = await runCli([
      "marathon-sim",
      "--port",
      "0",
      "--tls-cert",
      certs.serverCertFile,
      "--tls-key",
      `${certs.dir}/absent.key`
    ])
    assert.strictEqual(missing.code, 2)
    assert.match(missing.stderr.trim(), /^error: marathon-sim cannot use its TLS certificate or key: ENOENT.*absent\.key'?$/)
  })
})
