// Shared set-up for the controller benchmarks: specs written straight into etcd, apps seeded
// straight into the emulator (exactly the definitions the controller would create), a controller
// child process (`mdeploy controller`, the shipped binary) with its CPU, RSS and Prometheus
// counters, a per-request recorder on the in-process emulator, and bounded waits.
import { type ChildProcess, spawn } from "node:child_process"
import { subscribe, unsubscribe } from "node:diagnostics_channel"
import type { IncomingMessage } from "node:http"
import { Agent, request } from "node:http"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Etcd3 } from "etcd3"
import { desiredApp } from "../../src/domain/AppIdentity.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import { type RunningSim, type SimOptions, start as startSim } from "../../src/sim/MarathonSim.ts"
import { type EtcdCluster, freePort, startLocalEtcd } from "../../src/store/LocalEtcd.ts"

export const root = join(import.meta.dirname, "..", "..")
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
/** NaN after `ms`, for races against an event; never keeps the process alive. */
export const deadline = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), ms).unref())

/**
 * The spec every benchmark instance starts from: a docker image, one port, an HTTP health check
 * and crossover, as a service owner writes it (about 500 bytes stored).
 */
export const benchSpec = (index: number, image: string, instances: number, extra: Partial<ServiceInstanceSpec> = {}): ServiceInstanceSpec =>
  ({
    image: `registry.example/svc${index}:${image}`,
    instances,
    ports: [8080],
    healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 },
    bounce: { method: "crossover" },
    ...extra
  }) as ServiceInstanceSpec

export const instanceName = (index: number) => `svc${index}.main`

/** The stored form SpecStore writes (no resourceVersion: that is the key's revision). */
export const storedSpec = (name: string, spec: ServiceInstanceSpec, generation: number, labels: Record<string, string> = { team: "bench" }) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: { name, labels, uid: `00000000-0000-4000-8000-${String(generation).padStart(12, "0")}`, generation, creationTimestamp: "2026-01-01T00:00:00.000Z" },
    spec
  })

/** Runs `task(i)` for i in [0, count) with `concurrency` in flight. */
export const pool = async (count: number, concurrency: number, task: (index: number) => Promise<unknown>) => {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++)
  }))
}

export const putSpecs = (etcd: Etcd3, prefix: string, count: number, specOf: (index: number) => ServiceInstanceSpec, generation = 1, labels?: Record<string, string>) =>
  pool(count, 32, (index) => etcd.put(`${prefix}/specs/${instanceName(index)}`).value(storedSpec(instanceName(index), specOf(index), generation, labels)).exec())

/** The Marathon app the controller would create for this spec (id, labels and hash included). */
export const appFor = (index: number, spec: ServiceInstanceSpec) => desiredApp(resolveSpec(instanceName(index) as InstanceName, spec))

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

export const call = (url: string, method: string, body?: unknown) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const req = request(url, { method, agent, headers: text === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) } }, (res) => {
      let data = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (data += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }))
      res.on("error", reject)
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: timeout`)))
    req.on("error", reject)
    req.end(text)
  })

/** Creates the apps in the emulator with a bare client, 32 in flight (the converged starting point). */
export const seedApps = (simUrl: string, count: number, specOf: (index: number) => ServiceInstanceSpec) =>
  pool(count, 32, async (index) => {
    const answer = await call(`${simUrl}/v2/apps`, "POST", appFor(index, specOf(index)).definition)
    if (answer.status !== 201) throw new Error(`seeding app ${index}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`)
  })

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export const waitFor = async <A>(what: string, timeoutMs: number, check: () => Promise<A | undefined> | A | undefined, everyMs = 100): Promise<A> => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** Instances whose status is Running at the spec generation they are checked against. */
export const runningStatuses = async (etcd: Etcd3, prefix: string, generation: (name: string) => number): Promise<number> => {
  // One range per leading digit: 10,000 statuses in one answer exceed gRPC's 4 MiB default.
  let running = 0
  for (let digit = 0; digit < 10; digit++) {
    const all = await etcd.getAll().prefix(`${prefix}/status/svc${digit}`).strings()
    for (const [key, value] of Object.entries(all)) {
      const status = JSON.parse(value) as { phase?: string; observedGeneration?: number }
      if (status.phase === "Running" && status.observedGeneration === generation(key.slice(prefix.length + "/status/".length))) running++
    }
  }
  return running
}

/**
 * "METHOD route" with app and task ids collapsed, so counts stay few. A list of one instance's apps
 * (`GET /v2/apps?id=…`) is told apart from the full list (`GET /v2/apps`).
 */
const routeOf = (method: string, path: string, query: string) => {
  if (path.startsWith("/v2/apps/")) return `${method} /v2/apps/{id}`
  if (path === "/v2/apps" && method === "GET" && /(^|&)id=/.test(query)) return "GET /v2/apps?id="
  return `${method} ${path}`
}

/**
 * Every HTTP request the in-process emulator receives on `port`, seen when its headers arrive
 * (node's `http.server.request.start` channel: no proxy in the path). Counts requests by route,
 * remembers the last arrival, and resolves `next(match)` with the arrival time of the first match.
 */
export const tapRequests = (port: number) => {
  const counts = new Map<string, number>()
  let lastAt = performance.now()
  const waiters = new Set<{ readonly match: (method: string, path: string, route: string) => boolean; readonly resolve: (at: number) => void }>()
  const onStart = (message: unknown) => {
    const req = (message as { request: IncomingMessage }).request
    if (req.socket.localPort !== port) return
    const at = performance.now()
    const method = req.method ?? "GET"
    const [rawPath, query = ""] = (req.url ?? "/").split("?") as [string, string?]
    const path = decodeURIComponent(rawPath)
    if (path.startsWith("/__sim")) return
    lastAt = at
    const route = routeOf(method, path, query)
    counts.set(route, (counts.get(route) ?? 0) + 1)
    for (const waiter of waiters) {
      if (!waiter.match(method, path, route)) continue
      waiters.delete(waiter)
      waiter.resolve(at)
    }
  }
  subscribe("http.server.request.start", onStart)
  return {
    counts,
    /** Requests so far on exactly this route ("GET /v2/apps" is the full list only). */
    count: (route: string) => counts.get(route) ?? 0,
    /** Requests so far that are not GETs: Marathon writes. */
    writes: () => [...counts].reduce((sum, [route, n]) => (route.startsWith("GET ") ? sum : sum + n), 0),
    /** Arrival time of the next matching request, or undefined after `timeoutMs`. */
    next: (match: (method: string, path: string, route: string) => boolean, timeoutMs: number) =>
      new Promise<number | undefined>((resolve) => {
        const waiter = { match, resolve: (at: number) => (clearTimeout(timer), resolve(at)) }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          resolve(undefined)
        }, timeoutMs).unref()
        waiters.add(waiter)
      }),
    /** Waits until no request arrived for `quietMs` (at most `maxMs`). */
    quiet: async (quietMs: number, maxMs: number) => {
      const deadline = performance.now() + maxMs
      while (performance.now() - lastAt < quietMs && performance.now() < deadline) await sleep(Math.max(10, quietMs - (performance.now() - lastAt)))
    },
    stop: () => void unsubscribe("http.server.request.start", onStart)
  }
}
export type RequestTap = ReturnType<typeof tapRequests>

export interface ControllerChild {
  readonly proc: ChildProcess
  readonly pid: number
  readonly metricsUrl: string
  /** user + system CPU seconds so far, from /proc/<pid>/stat. */
  readonly cpuSeconds: () => number
  readonly rssMb: () => number
  /** Sum of a Prometheus counter over its series whose labels contain `match`. */
  readonly metric: (name: string, match?: string) => Promise<number>
  readonly logTail: () => string
  /** Waits until the process used no CPU for `quietMs` (10 ms clock ticks), at most `maxMs`. */
  readonly idle: (quietMs: number, maxMs: number) => Promise<void>
  readonly stop: () => Promise<void>
}

const clockTicks = 100

export interface ControllerOptions {
  readonly etcd: string
  readonly prefix: string
  readonly marathon: string
  readonly workers?: number
  readonly leaderTtl?: number
  readonly resyncSeconds?: number
  readonly nodeArgs?: ReadonlyArray<string>
  /** Marathon writes per second (and burst), `--marathon-write-qps`; the binary's default is 50. */
  readonly writeQps?: number
  /** Run bench/internal/controllerMain.ts, tracing with Effect's own tracer instead of OpenTelemetry's. */
  readonly nativeTracer?: boolean
}

/** Starts `mdeploy controller` as a child and waits until its /metrics endpoint answers. */
export const startController = async (options: ControllerOptions): Promise<ControllerChild> => {
  const port = await freePort()
  const metricsUrl = `http://127.0.0.1:${port}/metrics`
  // MDEPLOY_BENCH_CONTROLLER_NODE_ARGS profiles any benchmark's controllers, e.g.
  // "--cpu-prof --cpu-prof-dir=/tmp/prof" (profiles are written when a controller stops).
  const extra = (process.env["MDEPLOY_BENCH_CONTROLLER_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "")
  const args = [
    ...extra,
    ...(options.nodeArgs ?? []),
    ...(options.nativeTracer === true
      ? [join(root, "bench", "internal", "controllerMain.ts"), "--tracer", "native"]
      : [join(root, "bin", "mdeploy.js"), "controller"]),
    ...(options.writeQps === undefined ? [] : [options.nativeTracer === true ? "--write-qps" : "--marathon-write-qps", String(options.writeQps)]),
    ...(options.writeQps === undefined || options.nativeTracer === true ? [] : ["--marathon-write-burst", String(Math.max(100, options.writeQps))]),
    "--workers", String(options.workers ?? 8),
    "--leader-ttl", String(options.leaderTtl ?? 5),
    "--resync", String(options.resyncSeconds ?? 180),
    "--metrics-addr", `127.0.0.1:${port}`
  ]
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, MDEPLOY_ETCD_ENDPOINTS: options.etcd, MDEPLOY_ETCD_PREFIX: options.prefix, MDEPLOY_MARATHON_URLS: options.marathon },
    stdio: ["ignore", "ignore", "pipe"]
  })
  // The last 64 KB of its log, for failure messages only.
  let tail = ""
  proc.stderr!.setEncoding("utf8")
  proc.stderr!.on("data", (chunk: string) => (tail = (tail + chunk).slice(-65_536)))
  const pid = proc.pid!
  const stat = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  const metric = async (name: string, match = "") => {
    const { body } = await call(metricsUrl, "GET")
    let sum = 0
    for (const line of body.split("\n")) {
      if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue
      if (match !== "" && !line.includes(match)) continue
      sum += Number(line.slice(line.lastIndexOf(" ") + 1))
    }
    return sum
  }
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    proc.kill("SIGTERM")
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000)
    await exited
    clearTimeout(timer)
  }
  const child: ControllerChild = {
    proc,
    pid,
    metricsUrl,
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
    cpuSeconds: () => {
      const fields = stat()
      return (Number(fields[11]) + Number(fields[12])) / clockTicks
    },
    rssMb: () => {
      const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:")) ?? "VmRSS: 0 kB"
      return Number(line.split(/\s+/)[1]) / 1024
    },
    metric,
    logTail: () => tail,
    idle: async (quietMs, maxMs) => {
      const deadline = performance.now() + maxMs
      let last = child.cpuSeconds()
      let since = performance.now()
      while (performance.now() < deadline && proc.exitCode === null) {
        await sleep(20)
        const now = child.cpuSeconds()
        if (now !== last) {
          last = now
          since = performance.now()
        } else if (performance.now() - since >= quietMs) return
      }
    },
    stop
  }
  try {
    await waitFor("controller /metrics", 30_000, async () => {
      if (proc.exitCode !== null) throw new Error(`controller exited ${proc.exitCode}: ${tail.slice(-2000)}`)
      return (await call(metricsUrl, "GET").catch(() => undefined))?.status === 200 ? true : undefined
    })
  } catch (error) {
    await stop()
    throw error
  }
  return child
}

export const percentile = (values: ReadonlyArray<number>, p: number) => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

export interface Stack {
  readonly etcd: EtcdCluster
  readonly client: Etcd3
  readonly sim: RunningSim
  readonly tap: RequestTap
  readonly prefix: string
  readonly controllers: Array<ControllerChild>
  readonly close: () => Promise<void>
}

/**
 * etcd (one member), the emulator in this process with near-instant tasks (5 ms to start, to pass
 * the first health check and to die) and no deployment limit, and a request tap on it.
 * `close` stops every controller started through `converge` too, whatever state they are in.
 */
export const startStack = async (simOptions: Partial<SimOptions> = {}): Promise<Stack> => {
  const etcd = await startLocalEtcd()
  let sim: RunningSim | undefined
  try {
    sim = await startSim({ taskStartDelayMs: 5, healthyAfterMs: 5, taskKillDelayMs: 5, agents: 10, maxRunningDeployments: 1_000_000, ...simOptions })
  } catch (error) {
    await etcd.close()
    throw error
  }
  const running = sim
  const client = new Etcd3({ hosts: etcd.endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
  const tap = tapRequests(running.port)
  const controllers: Array<ControllerChild> = []
  return {
    etcd,
    client,
    sim: running,
    tap,
    prefix: "/bench/mdeploy/v1",
    controllers,
    close: async () => {
      await Promise.allSettled(controllers.map((controller) => controller.stop()))
      tap.stop()
      client.close()
      await running.close().catch(() => undefined)
      await etcd.close()
    }
  }
}

/**
 * The converged starting point: `count` apps seeded in the emulator by a bare client, the matching
 * specs written to etcd, then a controller started and waited on until every status is Running.
 * The controller adopts the apps (no writes); its initial sync is timed.
 */
export const converge = async (
  stack: Stack,
  count: number,
  specOf: (index: number) => ServiceInstanceSpec,
  controller: Partial<ControllerOptions> = {},
  timeoutMs = 240_000
) => {
  let t = performance.now()
  await seedApps(stack.sim.url, count, specOf)
  const seedMs = performance.now() - t
  t = performance.now()
  await putSpecs(stack.client, stack.prefix, count, specOf)
  const specsMs = performance.now() - t
  t = performance.now()
  const child = await startController({ etcd: stack.etcd.endpoints, prefix: stack.prefix, marathon: stack.sim.url, ...controller })
  stack.controllers.push(child)
  await waitFor(`${count} instances Running`, timeoutMs, async () => {
    if (child.proc.exitCode !== null) throw new Error(`controller exited ${child.proc.exitCode}: ${child.logTail().slice(-2000)}`)
    return (await runningStatuses(stack.client, stack.prefix, () => 1)) === count ? true : undefined
  }, count > 2000 ? 1000 : 200)
  return { controller: child, seedMs, specsMs, syncMs: performance.now() - t }
}
