// Benchmark of the Marathon emulator at controller scale: 10,000 apps × 3 tasks. Measures the
// median latency of `GET /v2/apps?embed=apps.tasks` (30,000 tasks), sustained simple writes
// (creates and scales) per second, and the emulator's RSS. The emulator runs as a child process
// (honest RSS); a bare node:http server in another child gives the floors. Loopback only; every
// loop is bounded in count and time.
import { spawn, type ChildProcess } from "node:child_process"
import { Agent, request } from "node:http"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { Bench, BenchRow } from "./BenchReport.ts"

const apps = 10_000
const tasksPerApp = 3
const listSamples = 9
const writeSeconds = 5
const writeLimit = 60_000
const concurrency = 32

interface Child {
  readonly proc: ChildProcess
  readonly url: string
}

/** Starts a node child that prints one JSON line with its url once it listens. */
const child = (args: ReadonlyArray<string>): Promise<Child> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    const timer = setTimeout(() => reject(new Error(`child did not start: ${args.join(" ")}`)), 15_000)
    createInterface({ input: proc.stdout! }).once("line", (line) => {
      clearTimeout(timer)
      resolve({ proc, url: (JSON.parse(line) as { url: string }).url })
    })
    proc.once("exit", (code) => reject(new Error(`child exited with ${code}`)))
  })

const stop = (c: Child) =>
  new Promise<void>((resolve) => {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve()
    c.proc.once("exit", () => resolve())
    c.proc.kill("SIGTERM")
    setTimeout(() => c.proc.kill("SIGKILL"), 5_000).unref()
  })

// Marathon's --max_running_deployments (100) would turn a bulk load into 403s; the benchmark
// measures the emulator, so the limit is lifted above.

// A bare loopback server answering every request with a fixed body: the floor for our numbers.
const bareServer = `
const http = require("node:http")
let list = Buffer.alloc(0)
const server = http.createServer((req, res) => {
  const chunks = []
  req.on("data", (c) => chunks.push(c))
  req.on("end", () => {
    if (req.url === "/size") { list = Buffer.alloc(Number(Buffer.concat(chunks)), 120); res.end("ok"); return }
    const body = req.url === "/list" ? list : Buffer.from('{"deploymentId":"x","version":"y"}')
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length })
    res.end(body)
  })
})
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port })))
process.on("SIGTERM", () => process.exit(0))
`

const agent = new Agent({ keepAlive: true, maxSockets: concurrency })

interface Answer {
  readonly status: number
  readonly body: string
  readonly bytes: number
}

const call = (base: string, method: string, path: string, body?: string, keepBody = true): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(base + path, {
      method,
      agent,
      headers: body === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      let bytes = 0
      res.on("data", (c: Buffer) => {
        bytes += c.length
        if (keepBody) chunks.push(c)
      })
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: keepBody ? Buffer.concat(chunks).toString("utf8") : "", bytes }))
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(body)
  })

/** Runs `next()` calls with `concurrency` in flight until it returns undefined or time runs out. */
const pump = async (
  deadline: number,
  next: () => Promise<Answer> | undefined
): Promise<{ done: number; failed: number; seconds: number }> => {
  let done = 0
  let failed = 0
  const t0 = performance.now()
  const worker = async () => {
    for (;;) {
      if (Date.now() > deadline) return
      const p = next()
      if (p === undefined) return
      const r = await p
      if (r.status >= 300) failed++
      done++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { done, failed, seconds: (performance.now() - t0) / 1000 }
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d

const app = (i: number, instances: number, ports = true) =>
  JSON.stringify({
    id: `/bench/svc-${i}.main`,
    cmd: "./serve --port $PORT0",
    cpus: 0.1,
    mem: 64,
    instances,
    labels: { MDEPLOY_MANAGED: "true", MDEPLOY_SERVICE: `svc-${i}` },
    ...(ports ? {} : { portDefinitions: [] })
  })

const simProcess = fileURLToPath(new URL("../src/sim/SimProcess.ts", import.meta.url))

const simArgs = (...extra: ReadonlyArray<string>) => [
  simProcess,
  "--clock",
  "real",
  "--options",
  JSON.stringify({ taskStartDelayMs: 50, taskKillDelayMs: 50, agents: 10, maxRunningDeployments: 1_000_000 }),
  ...extra
]

interface Memory {
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly instances: number
}

const mb = (m: Memory | undefined) =>
  m === undefined
    ? undefined
    : {
      rss: round(m.rss / 1048576),
      heapTotal: round(m.heapTotal / 1048576),
      heapUsed: round(m.heapUsed / 1048576),
      external: round(m.external / 1048576)
    }

const memory = async (url: string) => JSON.parse((await call(url, "GET", "/__sim/process")).body) as Memory

/** 10,000 creates (each a deployment that launches 3 tasks), then waits for all to run. */
const populate = async (url: string, deadline: number) => {
  let created = 0
  const creates = await pump(deadline, () => (created < apps ? call(url, "POST", "/v2/apps", app(created++, tasksPerApp)) : undefined))
  const settleStart = performance.now()
  for (;;) {
    const d = await call(url, "GET", "/v2/deployments")
    if (d.body === "[]" || Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 200))
  }
  return { creates, settleSeconds: (performance.now() - settleStart) / 1000 }
}

const bench: Bench = async () => {
  const started = Date.now()
  const hardDeadline = started + 110_000
  const sim = await child(simArgs())
  const bare = await child(["-e", bareServer])
  try {
    const { creates, settleSeconds } = await populate(sim.url, hardDeadline)
    const settled = await memory(sim.url)

    // The list every controller reconcile starts from.
    const first = await call(sim.url, "GET", "/v2/apps?embed=apps.tasks")
    const listed = JSON.parse(first.body) as { apps: Array<{ tasks: Array<{ state: string }> }> }
    const taskCount = listed.apps.reduce((n, a) => n + a.tasks.length, 0)
    const latencies: Array<number> = []
    for (let i = 0; i < listSamples && Date.now() < hardDeadline; i++) {
      const t0 = performance.now()
      await call(sim.url, "GET", "/v2/apps?embed=apps.tasks", undefined, false)
      latencies.push(performance.now() - t0)
    }
    // Steady state with the list caches built: what a controller-driven emulator holds.
    const mem = await memory(sim.url)
    await call(bare.url, "POST", "/size", String(first.bytes))
    const bareLatencies: Array<number> = []
    for (let i = 0; i < listSamples; i++) {
      const t0 = performance.now()
      await call(bare.url, "GET", "/list", undefined, false)
      bareLatencies.push(performance.now() - t0)
    }

    // Sustained simple writes: half creates of port-less single-instance apps, half scales of
    // the 10,000 apps in turn (an app comes round again long after its last scale finished).
    let n = 0
    const writeDeadline = Math.min(Date.now() + writeSeconds * 1000, hardDeadline)
    const writes = await pump(writeDeadline, () => {
      if (n >= writeLimit) return undefined
      const i = n++
      return i % 2 === 0
        ? call(sim.url, "POST", "/v2/apps", app(apps + i, 1, false), false)
        : call(
          sim.url,
          "PUT",
          `/v2/apps/bench/svc-${(i >> 1) % apps}.main`,
          JSON.stringify({ instances: tasksPerApp + 1 - (Math.floor((i >> 1) / apps) % 2) }),
          false
        )
    })
    let m = 0
    const bareWrites = await pump(
      Date.now() + writeSeconds * 1000,
      () => (m++ < writeLimit ? call(bare.url, "POST", "/v2/apps", app(m, 1), false) : undefined)
    )
    const writesPerSecond = writes.done / writes.seconds

    // The same load in an emulator process that leaves V8's young-generation sizing alone.
    await stop(sim)
    const plain = await child(simArgs("--v8-defaults"))
    let plainMem: Memory | undefined
    try {
      await populate(plain.url, hardDeadline)
      await call(plain.url, "GET", "/v2/apps?embed=apps.tasks", undefined, false)
      plainMem = await memory(plain.url)
    } finally {
      await stop(plain)
    }

    const listMs = median(latencies)
    const rssMb = mem.rss / 1024 / 1024
    const rows: Array<BenchRow> = [
      {
        metric: "GET /v2/apps?embed=apps.tasks median latency (10,000 apps, 30,000 tasks)",
        value: round(listMs),
        unit: "ms",
        floor: round(median(bareLatencies)),
        goal: "< 500 ms",
        met: listMs < 500 && taskCount === apps * tasksPerApp,
        note: `${taskCount} tasks listed, ${round(first.bytes / 1024 / 1024)} MB body, p-max ${
          round(Math.max(...latencies))
        } ms over ${latencies.length} samples; floor = same-size body from a bare node:http server`
      },
      {
        metric: "sustained simple writes (create + scale) over loopback",
        value: round(writesPerSecond, 0),
        unit: "req/s",
        floor: round(bareWrites.done / bareWrites.seconds, 0),
        goal: ">= 2,000 req/s",
        met: writesPerSecond >= 2000 && writes.failed === 0,
        note: `${writes.done} writes in ${
          round(writes.seconds, 2)
        } s with ${concurrency} in flight, ${writes.failed} non-2xx; floor = bare node:http POST`
      },
      {
        metric: "emulator RSS with 10,000 apps / 30,000 tasks",
        value: round(rssMb),
        unit: "MB",
        goal: "< 300 MB",
        met: rssMb < 300 && mem.instances >= apps * tasksPerApp,
        note: `after the list requests (JSON caches built); ${
          round(settled.rss / 1024 / 1024)
        } MB right after the deployments settled; heap used ${
          round(mem.heapUsed / 1024 / 1024)
        } MB; src/sim/SimProcess.ts keeps V8's young generation at its initial size`
      },
      {
        metric: "emulator RSS, same load, V8's default young-generation growth",
        value: round((plainMem?.rss ?? 0) / 1024 / 1024),
        unit: "MB",
        note: "for comparison: the process started with --v8-defaults"
      }
    ]
    return {
      name: "simThroughput",
      rows,
      details: {
        apps,
        tasksPerApp,
        populateCreatesPerSecond: round(creates.done / creates.seconds, 0),
        populateFailed: creates.failed,
        settleSeconds: round(settleSeconds, 2),
        listLatenciesMs: latencies.map((x) => round(x)),
        concurrency,
        memorySettledMb: mb(settled),
        memoryAfterListsMb: mb(mem),
        memoryV8DefaultsMb: mb(plainMem),
        totalSeconds: round((Date.now() - started) / 1000, 1)
      }
    }
  } finally {
    agent.destroy()
    await Promise.all([stop(sim), stop(bare)])
  }
}

export default bench
