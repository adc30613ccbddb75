// A real Prometheus (Debian's /usr/bin/prometheus, installed by scripts/ensure-deps.sh) for tests:
// its own temporary config and TSDB directory, a free loopback port, scraping the given targets
// every second. Queried over its HTTP API.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { waitUntil } from "./wait.ts"

/** A loopback port free right now (for a process that cannot report the one it bound). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

export interface QueryAnswer {
  readonly status: "success" | "error"
  readonly error?: string
  readonly data?: {
    readonly resultType: string
    readonly result: ReadonlyArray<{ readonly metric: Record<string, string>; readonly value?: [number, string] }>
  }
}

export interface RunningPrometheus {
  readonly url: string
  /** An instant query at the current time. */
  readonly query: (expr: string) => Promise<QueryAnswer>
  readonly logs: () => string
  readonly close: () => Promise<void>
}

/** Starts Prometheus scraping `targets` (job name → "host:port") every second; resolves once it is ready. */
export const startPrometheus = async (targets: Record<string, string>): Promise<RunningPrometheus> => {
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-prometheus-"))
  const jobs = Object.entries(targets).map(([job, target]) =>
    `  - job_name: ${JSON.stringify(job)}\n    static_configs:\n      - targets: [${JSON.stringify(target)}]\n`
  )
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs.join("")}`
  )
  const port = await freePort()
  const child = spawn("prometheus", [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn"
  ], { stdio: ["ignore", "pipe", "pipe"] })
  let logs = ""
  // A missing binary is an 'error' event, not an exit: say what to do instead of crashing the run.
  let failed: string | undefined
  child.once("error", (error) => (failed = `cannot run prometheus (${error.message}): run scripts/ensure-deps.sh`))
  child.stdout.on("data", (chunk) => (logs += chunk))
  child.stderr.on("data", (chunk) => (logs += chunk))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const close = async () => {
    if (failed === undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitUntil("prometheus ready", async () => {
      if (failed !== undefined) throw new Error(failed)
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${logs}`)
      return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok
    }, { timeoutMs: 60_000, intervalMs: 100 })
  } catch (error) {
    await close()
    throw error
  }
  return {
    url,
    logs: () => logs,
    close,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`, { signal: AbortSignal.timeout(10_000) })
      return (await response.json()) as QueryAnswer
    }
  }
}
