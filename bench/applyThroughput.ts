// `mdeploy apply -f dir` of 1,000 specs beside the floor: the same 1,000 compare-and-swap creates
// done by a bare etcd3 client with the same concurrency, in the same run, against the same etcd.
// Both sides are timed as whole processes (Node start included), the way a user meets them; the
// in-process write phase of the bare client is reported too.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startLocalEtcd } from "../src/store/LocalEtcd.ts"
import type { Bench } from "./BenchReport.ts"

const count = 1000
const rounds = 3
const root = join(import.meta.dirname, "..")

const manifest = (index: number, image: string) =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: svc${index}.main\n  labels: {bench: apply}\nspec:\n  image: registry.example/svc${index}:${image}\n  instances: 3\n  ports: [8080]\n  healthCheck: {protocol: MESOS_HTTP, path: /status}\n  bounce: {method: crossover}\n`

const timeProcess = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ ms: number; stdout: string }>((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
    let stdout = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${args.join(" ")} exited ${code}`))
      else resolve({ ms: performance.now() - started, stdout })
    })
  })

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const bench: Bench = async () => {
  const etcd = await startLocalEtcd()
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-bench-apply-"))
  try {
    const cliMs: Array<number> = []
    const bareMs: Array<number> = []
    const bareWriteMs: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      for (let index = 0; index < count; index++) writeFileSync(join(dir, `svc${index}.yaml`), manifest(index, `r${round}`))
      const cli = await timeProcess([join(root, "bin", "mdeploy.js"), "apply", "-f", dir], {
        MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints,
        MDEPLOY_ETCD_PREFIX: `/bench-cli-${round}/mdeploy/v1`
      })
      if (cli.stdout.split("\n").filter((line) => line.endsWith(" created")).length !== count) {
        throw new Error("apply did not create every spec")
      }
      cliMs.push(cli.ms)
      const bare = await timeProcess([
        join(import.meta.dirname, "bareEtcdApply.ts"),
        dir,
        `/bench-bare-${round}/mdeploy/v1`,
        etcd.endpoints
      ], {})
      bareMs.push(bare.ms)
      bareWriteMs.push(Number(bare.stdout.trim()))
    }
    const value = median(cliMs)
    const floor = median(bareMs)
    return {
      name: "apply-throughput",
      rows: [
        {
          metric: `mdeploy apply -f dir, ${count} new specs (process wall)`,
          value,
          unit: "ms",
          floor,
          goal: "<= 1.5x bare client",
          met: value <= 1.5 * floor
        },
        { metric: "bare etcd3 client write phase only (in process)", value: median(bareWriteMs), unit: "ms" }
      ],
      details: { rounds, cliMs, bareMs, bareWriteMs, concurrency: 16 }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await etcd.close()
  }
}
export default bench
