// `mdeploy controller` as a child process: started on loopback with a Prometheus endpoint, read
// for its CPU seconds and RSS (/proc), its counters (/metrics) and its log tail; stopped cleanly.
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { freePort } from "../../src/store/LocalEtcd.ts"
import { benchOwner, call, root, sleep, waitFor } from "./util.ts"

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
  /** More `mdeploy controller` flags (e.g. `--http-addr` for the GitOps webhooks). */
  readonly args?: ReadonlyArray<string>
  /** More environment (e.g. a webhook secret the GitSource names). */
  readonly env?: Readonly<Record<string, string>>
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
    ...(options.writeQps === undefined
      ? []
      : [options.nativeTracer === true ? "--write-qps" : "--marathon-write-qps", String(options.writeQps)]),
    ...(options.writeQps === undefined || options.nativeTracer === true
      ? []
      : ["--marathon-write-burst", String(Math.max(100, options.writeQps))]),
    "--workers",
    String(options.workers ?? 8),
    "--leader-ttl",
    String(options.leaderTtl ?? 5),
    "--resync",
    String(options.resyncSeconds ?? 180),
    "--metrics-addr",
    `127.0.0.1:${port}`,
    ...(options.args ?? [])
  ]
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      ...options.env,
      MDEPLOY_ETCD_ENDPOINTS: options.etcd,
      MDEPLOY_ETCD_PREFIX: options.prefix,
      MDEPLOY_MARATHON_URLS: options.marathon,
      MDEPLOY_OWNER: benchOwner
    },
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
    // Polled often: benchmarks time a new leader from here, and a coarse poll would start that
    // clock late, after work the controller had already done.
    await waitFor("controller /metrics", 30_000, async () => {
      if (proc.exitCode !== null) throw new Error(`controller exited ${proc.exitCode}: ${tail.slice(-2000)}`)
      return (await call(metricsUrl, "GET").catch(() => undefined))?.status === 200 ? true : undefined
    }, 10)
  } catch (error) {
    await stop()
    throw error
  }
  return child
}
