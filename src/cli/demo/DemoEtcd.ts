// The demo's etcd: one member on fixed loopback ports (DemoPorts.ts), data in a temp dir removed
// when it stops. The test harness's LocalEtcd picks free ports instead, which suits tests but made
// every demo print new URLs.
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertEtcdInstalled } from "../../store/LocalEtcd.ts"
import type { DemoPorts } from "./DemoPorts.ts"

export interface DemoEtcd {
  readonly endpoint: string
  readonly close: () => Promise<void>
}

const healthy = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })
    return ((await response.json()) as { health?: string }).health === "true"
  } catch {
    return false
  }
}

export const startDemoEtcd = async (ports: DemoPorts, timeoutMs = 20_000): Promise<DemoEtcd> => {
  assertEtcdInstalled()
  const dataDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "mdeploy-demo-etcd-"))
  const endpoint = `http://127.0.0.1:${ports.etcdClient}`
  const peer = `http://127.0.0.1:${ports.etcdPeer}`
  const child = spawn("etcd", [
    "--name",
    "demo",
    "--data-dir",
    join(dataDir, "data"),
    "--logger=zap",
    "--log-outputs",
    join(dataDir, "etcd.log"),
    "--listen-client-urls",
    endpoint,
    "--advertise-client-urls",
    endpoint,
    "--listen-peer-urls",
    peer,
    "--initial-advertise-peer-urls",
    peer,
    "--initial-cluster",
    `demo=${peer}`,
    "--unsafe-no-fsync"
  ], { stdio: "ignore" })
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = performance.now() + timeoutMs
  while (!(await healthy(endpoint))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await close()
      throw new Error(
        child.exitCode !== null
          ? `etcd exited with code ${child.exitCode} on start-up`
          : `etcd did not become healthy within ${timeoutMs} ms`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { endpoint, close }
}
