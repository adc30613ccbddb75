import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll } from "vitest"
import type { RunningSim } from "../../src/sim/MarathonSim.ts"
import { start as startSim } from "../../src/sim/MarathonSim.ts"
import type { CliResult } from "../harness/cli.ts"
import { binPath, repoRoot, runCli } from "../harness/cli.ts"
import type { TestCerts } from "../harness/certs.ts"
import { makeTestCerts } from "../harness/certs.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { manifest } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// The controller with real credentials: Marathon (the emulator) over HTTPS with basic auth and a
// CA only NODE_EXTRA_CA_CERTS names, etcd with user/password auth. Every word the processes say
// (logs, exported traces and metrics, status in etcd, CLI output and error messages, failed runs
// with a wrong password included) is searched for both passwords.

const marathonUser = "deployer"
const marathonPassword = `mpw-${randomBytes(9).toString("hex")}`
const etcdPassword = `epw-${randomBytes(9).toString("hex")}`
const secrets = [
  marathonPassword,
  etcdPassword,
  // The Authorization header's value, should a request ever be printed whole.
  Buffer.from(`${marathonUser}:${marathonPassword}`).toString("base64")
]

let certs: TestCerts
let etcd: EtcdCluster
let sim: RunningSim
let collector: { readonly url: string; readonly bodies: Array<string>; readonly server: Server }
const controllers: Array<ChildProcess> = []
/** Everything any process said, to be searched for secrets at the end. */
const said: Array<{ readonly what: string; readonly text: string }> = []

const etcdPost = async (path: string, body: unknown, token?: string): Promise<any> => {
  const response = await fetch(`${etcd.endpoints}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: token === undefined ? {} : { authorization: token },
    signal: AbortSignal.timeout(2_000)
  })
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${await response.text()}`)
  return response.json()
}

/** Reads one key as root (etcd has auth enabled). */
const readKey = async (key: string): Promise<string | undefined> => {
  const { token } = await etcdPost("/v3/auth/authenticate", { name: "root", password: etcdPassword })
  const body = await etcdPost("/v3/kv/range", { key: Buffer.from(key).toString("base64") }, token)
  const value = body.kvs?.[0]?.value
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8")
}

const startCollector = () =>
  new Promise<typeof collector>((resolve) => {
    const bodies: Array<string> = []
    const server = createServer((request, response) => {
      let body = ""
      request.setEncoding("utf8")
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        bodies.push(`${request.url} ${body}`)
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server }))
  })

beforeAll(async () => {
  certs = makeTestCerts()
  etcd = await startLocalEtcd()
  await etcdPost("/v3/auth/user/add", { name: "root", password: etcdPassword })
  await etcdPost("/v3/auth/user/grant", { user: "root", role: "root" })
  await etcdPost("/v3/auth/enable", {})
  sim = await startSim({
    clock: "real",
    taskStartDelayMs: 40,
    healthyAfterMs: 80,
    taskKillDelayMs: 20,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
    auth: { user: marathonUser, password: marathonPassword }
  })
  collector = await startCollector()
})
afterAll(async () => {
  await Promise.all(controllers.map((child) => stop(child, "SIGKILL")))
  await sim?.close()
  await etcd?.close()
  await new Promise((resolve) => collector?.server.close(resolve))
  certs?.remove()
})

const stop = async (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.kill(signal)
  await exited
}

const envFor = (prefix: string, overrides: Record<string, string> = {}): Record<string, string> => ({
  MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints,
  MDEPLOY_ETCD_PREFIX: prefix,
  MDEPLOY_ETCD_USER: "root",
  MDEPLOY_ETCD_PASSWORD: etcdPassword,
  MDEPLOY_MARATHON_URLS: sim.url,
  MDEPLOY_MARATHON_USER: marathonUser,
  MDEPLOY_MARATHON_PASSWORD: marathonPassword,
  NODE_EXTRA_CA_CERTS: certs.caFile,
  MDEPLOY_LOG_LEVEL: "debug",
  ...overrides
})

const cli = async (what: string, args: ReadonlyArray<string>, env: Record<string, string>, stdin?: string): Promise<CliResult> => {
  const result = await runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
  said.push({ what: `${what} stdout`, text: result.stdout }, { what: `${what} stderr`, text: result.stderr })
  return result
}

const startController = async (what: string, env: Record<string, string>) => {
  const child = spawn(process.execPath, [binPath, "controller", "--leader-ttl", "2", "--workers", "2", "--resync", "20"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  controllers.push(child)
  const log = { what: `${what} logs`, text: "" }
  said.push(log)
  child.stdout!.on("data", (chunk) => (log.text += chunk))
  child.stderr!.on("data", (chunk) => (log.text += chunk))
  await waitUntil(`${what} started`, () => log.text.includes("mdeploy controller starting"), { timeoutMs: 30_000 })
  return { child, log }
}

const statusOf = async (prefix: string, name: string): Promise<any> => {
  const text = await readKey(`${prefix}/status/${name}`)
  if (text !== undefined) said.push({ what: `status ${prefix}/${name}`, text })
  return text === undefined ? undefined : JSON.parse(text)
}

const spec = (image: string) => ({
  image,
  instances: 2,
  ports: [8080],
  healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1 },
  bounce: { method: "crossover" },
  drain: { method: "noop" }
})

const prefix = uniquePrefix("creds")
const wrongPrefix = uniquePrefix("creds-wrong")
const wrongMarathonPassword = { MDEPLOY_MARATHON_PASSWORD: `${marathonPassword}-wrong` }
const wrongEtcdPassword = { MDEPLOY_ETCD_PASSWORD: `${etcdPassword}-wrong` }

// The cases run in order: the last one searches what the others collected.
describe("credentials: Marathon over HTTPS with basic auth, etcd with user/password", () => {
  it("a controller trusting the CA through NODE_EXTRA_CA_CERTS rolls a spec out; describe and traces see it", async () => {
    const env = {
      ...envFor(prefix),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: "200",
      OTEL_METRIC_EXPORT_INTERVAL: "500"
    }
    const controller = await startController("controller", env)
    const applied = await cli("apply", ["apply", "-f", "-"], env, manifest("web.main", spec("web:1")))
    assert.strictEqual(applied.code, 0, applied.stderr)
    await waitUntil("web.main rolled out", async () => {
      const status = await statusOf(prefix, "web.main")
      return status?.observedGeneration === 1 && status.phase === "Running"
    }, { timeoutMs: 60_000 })
    await waitUntil("the event stream connected over HTTPS", () => sim.server.streams.count > 0)

    const described = await cli("describe", ["describe", "web.main"], env)
    assert.strictEqual(described.code, 0, described.stderr)
    assert.match(described.stdout, /TASK_RUNNING/)
    const got = await cli("get", ["get", "web.main"], env)
    assert.match(got.stdout, /web\.main\s+crossover\s+2\s+2\/2\s+Running/)

    // Traces: the reconcile spans, Marathon calls among them, reach the collector.
    const traces = () => collector.bodies.filter((body) => body.startsWith("/v1/traces")).join("\n")
    await waitUntil(
      "reconcile spans and Marathon calls exported",
      () => traces().includes("Reconciler.reconcile") && traces().includes("MarathonClient.")
    )
    await stop(controller.child)
  }, 120_000)

  it("a wrong Marathon password: describe and the controller's status say 401 in one line", async () => {
    const unauthorized = await cli("describe, wrong Marathon password", ["describe", "web.main"], envFor(prefix, wrongMarathonPassword))
    assert.strictEqual(unauthorized.code, 0, unauthorized.stderr)
    assert.include(
      unauthorized.stdout,
      "<unavailable: GET /v2/apps: Unauthorized: HTTP 401: Error 401 Unauthorized (check MDEPLOY_MARATHON_USER/MDEPLOY_MARATHON_PASSWORD)>"
    )
    const controller = await startController("controller, wrong Marathon password", envFor(wrongPrefix, wrongMarathonPassword))
    await cli("apply (second prefix)", ["apply", "-f", "-"], envFor(wrongPrefix), manifest("api.main", spec("api:1")))
    const status = await waitUntil("the 401 in status", async () => {
      const status = await statusOf(wrongPrefix, "api.main")
      return status?.lastReconcile?.result === "Error" ? status : undefined
    }, { timeoutMs: 60_000 })
    assert.strictEqual(
      status.lastReconcile.error,
      "MarathonError(Unauthorized): GET /v2/apps: Unauthorized: HTTP 401: Error 401 Unauthorized (check MDEPLOY_MARATHON_USER/MDEPLOY_MARATHON_PASSWORD)"
    )
    assert.include(controller.log.text, "HTTP 401")
    await stop(controller.child)
  }, 120_000)

  it("a wrong etcd password: the CLI and the controller fail in one line naming the endpoint", async () => {
    const refused = await cli("get, wrong etcd password", ["get"], envFor(prefix, wrongEtcdPassword))
    assert.strictEqual(refused.code, 2)
    assert.strictEqual(
      refused.stderr.trim(),
      `error: etcd ${etcd.endpoints}: list: authentication failed or missing (check --etcd-user/--etcd-password)`
    )
    const flagged = await cli(
      "get, wrong etcd password by flag",
      ["get", "--etcd-password", `${etcdPassword}-wrong`],
      envFor(prefix, { MDEPLOY_ETCD_PASSWORD: "" })
    )
    assert.strictEqual(flagged.code, 2)
    const child = spawn(process.execPath, [binPath, "controller", "--leader-ttl", "2"], {
      cwd: repoRoot,
      env: { ...process.env, ...envFor(prefix, wrongEtcdPassword) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    controllers.push(child)
    const log = { what: "controller, wrong etcd password", text: "" }
    said.push(log)
    child.stdout.on("data", (chunk) => (log.text += chunk))
    child.stderr.on("data", (chunk) => (log.text += chunk))
    const code = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    assert.strictEqual(code, 2, log.text)
    assert.match(
      log.text,
      new RegExp(`^error: etcd ${etcd.endpoints}: [^\n]*authentication failed or missing \\(check --etcd-user/--etcd-password\\)\n$`)
    )
  }, 120_000)

  it("neither password appears in logs, exported telemetry, status, describe output or error messages", () => {
    said.push({ what: "telemetry export", text: collector.bodies.join("\n") })
    const covered = said.filter((entry) => entry.text !== "").map((entry) => entry.what)
    for (
      const expected of [
        "controller logs",
        "describe stdout",
        "describe, wrong Marathon password stdout",
        "controller, wrong Marathon password logs",
        "get, wrong etcd password stderr",
        "controller, wrong etcd password",
        "telemetry export"
      ]
    ) {
      assert.include(covered, expected)
    }
    assert.isTrue(
      covered.some((what) => what.startsWith(`status ${prefix}`)) && covered.some((what) => what.startsWith(`status ${wrongPrefix}`))
    )
    for (const { what, text } of said) {
      for (const secret of secrets) {
        assert.notInclude(text, secret, `${what} contains a secret`)
      }
    }
  })
})
