// GitOps webhook latency: a repository of N ServiceInstance files (one per file) followed by a
// GitSource, synced by the leader's GitOps loop and answered by the controller's HTTP server (the
// code `mdeploy controller` runs, here in-process). Per commit that changes one file: from just
// before the signed POST /hooks/git/<name> to the etcd watch event of the changed spec. Floor, same
// run: a bare `git fetch --depth 1` of a new commit into a plain clone followed by one etcd put.
// Also: spec keys written per one-file commit (goal: exactly one), the initial sync of N instances
// (time and CPU of this process), and its RSS with the source loaded.
import { Effect, Exit, Fiber, Layer, Scope } from "effect"
import { Etcd3 } from "etcd3"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runGitOps } from "../src/gitops/GitOpsLoop.ts"
import { makeSyncContext } from "../src/gitops/GitSync.ts"
import { EtcdClient } from "../src/store/EtcdClient.ts"
import { GitSourceStore } from "../src/store/GitSourceStore.ts"
import { startLocalEtcd } from "../src/store/LocalEtcd.ts"
import { serveController } from "../src/ui/ControllerServer.ts"
import type { Bench, BenchReport } from "./BenchReport.ts"
import { git, gitAsync, githubSignature } from "./internal/benchGit.ts"
import { percentile, round, sleep } from "./internal/util.ts"
import { etcdEventRecorderLayer } from "../src/store/EtcdEventRecorder.ts"
import { etcdRolloutStoreLayer } from "../src/store/EtcdRolloutStore.ts"
import { etcdSpecStoreLayer } from "../src/store/EtcdSpecStore.ts"
import { StatusStore } from "../src/store/StatusStore.ts"

export interface Options {
  readonly instances: number
  readonly changes: number
}

const secret = "bench-secret"
const manifest = (index: number, version: number) =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: svc${index}.main\n  labels: {team: bench}\nspec:\n  image: registry.example/svc${index}:v${version}\n  instances: 1\n  ports: [8080]\n  healthCheck: {protocol: MESOS_HTTP, path: /status}\n  bounce: {method: crossover}\n`

export const run = async (options: Options): Promise<BenchReport> => {
  const root = mkdtempSync(join(tmpdir(), "mdeploy-bench-gitops-"))
  const etcd = await startLocalEtcd()
  const prefix = "/bench-gitops/mdeploy/v1"
  const client = new Etcd3({ hosts: etcd.endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
  const scope = Effect.runSync(Scope.make())
  try {
    const bare = join(root, "remote.git")
    const work = join(root, "work")
    git(root, ["init", "-q", "--bare", bare])
    git(root, ["init", "-q", "-b", "main", work])
    mkdirSync(join(work, "specs"))
    for (let index = 0; index < options.instances; index++) writeFileSync(join(work, "specs", `svc${index}.yaml`), manifest(index, 1))
    git(work, ["add", "-A"])
    git(work, ["commit", "-q", "-m", "all"])
    git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
    const url = `file://${bare}`

    // What the controller's HTTP server reads besides the GitOps stores (its status page and API).
    const layer = Layer.mergeAll(
      etcdSpecStoreLayer,
      GitSourceStore.layerNoDeps,
      StatusStore.layerNoDeps,
      etcdRolloutStoreLayer,
      etcdEventRecorderLayer
    ).pipe(
      Layer.provideMerge(EtcdClient.layer({ endpoints: etcd.endpoints.split(","), prefix }))
    )
    const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    const loop = Effect.runFork(
      runGitOps(makeSyncContext({ cacheRoot: join(root, "cache"), env: { HOOK: secret } })).pipe(
        Effect.scoped,
        Effect.provideContext(context)
      ) as Effect.Effect<never>
    )
    const addr = await Effect.runPromise(
      serveController("127.0.0.1:0", { HOOK: secret }).pipe(
        Effect.provideContext(context),
        Effect.provideService(Scope.Scope, scope)
      )
    )

    // Every spec put, by key: the watch sees what the sync writes.
    const specEvents: Array<{ readonly key: string; readonly at: number }> = []
    const watcher = await client.watch().prefix(`${prefix}/specs/`).create()
    watcher.on("put", (kv) => specEvents.push({ key: kv.key.toString(), at: performance.now() }))
    const statusOf = async () =>
      JSON.parse((await client.get(`${prefix}/gitsource-status/bench`).string()) ?? "{}") as { lastAppliedRevision?: string }
    const waitApplied = async (commit: string, timeoutMs: number) => {
      const until = performance.now() + timeoutMs
      while (performance.now() < until) {
        if ((await statusOf()).lastAppliedRevision === commit) return true
        await sleep(10)
      }
      return false
    }

    const cpuBefore = process.cpuUsage()
    const t0 = performance.now()
    await Effect.runPromise(
      Effect.gen(function*() {
        const store = yield* GitSourceStore
        yield* store.apply({
          apiVersion: "mdeploy.dev/v1",
          kind: "GitSource",
          metadata: { name: "bench" },
          spec: { url, path: "specs", interval: "1h", webhook: { secretEnv: "HOOK" } }
        })
      }).pipe(Effect.provideContext(context))
    )
    const synced = await waitApplied(git(work, ["rev-parse", "HEAD"]), 600_000)
    const initialMs = performance.now() - t0
    const cpu = process.cpuUsage(cpuBefore)
    const rssMb = process.memoryUsage().rss / 1024 / 1024

    const latencies: Array<number> = []
    const writes: Array<number> = []
    let missed = 0
    const body = Buffer.from("{}")
    const signature = githubSignature(secret, body)
    for (let k = 0; k < options.changes; k++) {
      const index = (k * 7919) % options.instances
      writeFileSync(join(work, "specs", `svc${index}.yaml`), manifest(index, k + 2))
      git(work, ["commit", "-q", "-am", `bump svc${index}`])
      git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
      const head = git(work, ["rev-parse", "HEAD"])
      const before = specEvents.length
      const key = `${prefix}/specs/svc${index}.main`
      const start = performance.now()
      const answer = await fetch(`http://${addr}/hooks/git/bench`, { method: "POST", body, headers: { "x-hub-signature-256": signature } })
      await answer.arrayBuffer()
      const until = start + 10_000
      let seen: number | undefined
      while (seen === undefined && performance.now() < until) {
        seen = specEvents.slice(before).find((event) => event.key === key)?.at
        if (seen === undefined) await sleep(1)
      }
      if (seen === undefined) {
        missed++
        continue
      }
      latencies.push(seen - start)
      await waitApplied(head, 10_000)
      writes.push(specEvents.length - before)
    }

    // Floor: the bare tools — fetch the new commit shallowly, put one key.
    const floorDir = join(root, "floor")
    git(root, ["init", "-q", floorDir])
    const floor: Array<number> = []
    for (let k = 0; k < Math.max(10, Math.min(options.changes, 50)); k++) {
      writeFileSync(join(work, "specs", "svc0.yaml"), manifest(0, 10_000 + k))
      git(work, ["commit", "-q", "-am", "floor"])
      git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
      const start = performance.now()
      await gitAsync(floorDir, ["fetch", "-q", "--depth", "1", url, "refs/heads/main"])
      await client.put(`${prefix}-floor/key`).value(String(k))
      floor.push(performance.now() - start)
    }
    await watcher.cancel()
    await Effect.runPromise(Fiber.interrupt(loop))

    const size = options.instances.toLocaleString("en")
    const p99 = percentile(latencies, 99)
    const maxWrites = Math.max(...writes)
    return {
      name: `gitops-webhook-${options.instances}`,
      rows: [
        {
          metric: `webhook → changed spec in etcd, p50 (${size} instances)`,
          value: round(percentile(latencies, 50)),
          unit: "ms",
          floor: round(percentile(floor, 50))
        },
        {
          metric: `webhook → changed spec in etcd, p99 (${size} instances)`,
          value: round(p99),
          unit: "ms",
          floor: round(percentile(floor, 99)),
          goal: "<= 1000 ms",
          met: missed === 0 && p99 <= 1000,
          note: `${latencies.length} one-file commits, ${missed} unanswered within 10 s; floor: bare git fetch --depth 1 + one etcd put`
        },
        {
          metric: "spec keys written per one-file commit (max)",
          value: maxWrites,
          unit: "keys",
          goal: "= 1",
          met: writes.length > 0 && maxWrites === 1 && Math.min(...writes) === 1
        },
        {
          metric: `initial sync of ${size} instances`,
          value: round(initialMs / 1000, 2),
          unit: "s",
          goal: "synced",
          met: synced,
          note: `process CPU ${round((cpu.user + cpu.system) / 1e6, 2)} s; RSS after it ${
            round(rssMb)
          } MiB (bench process, GitOps loop in-process)`
        }
      ],
      details: {
        instances: options.instances,
        changes: options.changes,
        missed,
        latenciesMs: latencies.map((value) => round(value)),
        floorMs: floor.map((value) => round(value)),
        writesPerCommit: writes
      }
    }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    client.close()
    await etcd.close()
    rmSync(root, { recursive: true, force: true })
  }
}

const bench: Bench = () =>
  run({
    instances: Number(process.env["MDEPLOY_BENCH_GITOPS_INSTANCES"] ?? 5_000),
    changes: Number(process.env["MDEPLOY_BENCH_GITOPS_CHANGES"] ?? 50)
  })
export default bench
