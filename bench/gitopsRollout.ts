// GitOps end to end: N converged instances whose specs a GitSource owns, and one `mdeploy
// controller` (child process) that syncs the source as leader, answers webhooks on --http-addr and
// reconciles against the emulator. Per commit that changes one file (one instance
// scaled from 1 to 2): from just before the signed POST /hooks/git/<name> to the emulator receiving
// the controller's first write for that app. Floor, same run: a bare `git fetch --depth 1` of the
// new commit, one etcd put and its watch event, then a bare POST arriving at the same emulator.
import { Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sourceAnnotation } from "../src/domain/GitSource.ts"
import type { ServiceInstanceSpec } from "../src/domain/ServiceInstanceSpec.ts"
import { EtcdClient } from "../src/store/EtcdClient.ts"
import { GitSourceStore } from "../src/store/GitSourceStore.ts"
import { freePort } from "../src/store/LocalEtcd.ts"
import type { Bench, BenchReport } from "./BenchReport.ts"
import { bareReactionSamples } from "./internal/bareReaction.ts"
import { git, gitAsync, githubSignature } from "./internal/benchGit.ts"
import {
  benchSpec,
  instanceName,
  percentile,
  pool,
  round,
  runningStatuses,
  seedApps,
  startController,
  startStack,
  waitFor
} from "./internal/stack.ts"

export interface Options {
  readonly instances: number
  readonly changes: number
}

const secret = "bench-secret"
const source = "bench"
const specOf = (index: number, instances = 1) => benchSpec(index, "v1", instances)
const document = (index: number, spec: ServiceInstanceSpec) => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: instanceName(index), labels: { team: "bench" } },
  spec
})
/** The file in git: JSON is YAML, and decodes to exactly the spec the apps were seeded from. */
const manifest = (index: number, instances = 1) => `${JSON.stringify(document(index, specOf(index, instances)), null, 2)}\n`
/** The spec as the source's first sync would have written it (owned, so the sync writes nothing). */
const stored = (index: number) =>
  JSON.stringify({
    ...document(index, specOf(index)),
    metadata: {
      ...document(index, specOf(index)).metadata,
      annotations: { [sourceAnnotation]: source },
      uid: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00.000Z"
    }
  })

export const run = async (options: Options): Promise<BenchReport> => {
  const root = mkdtempSync(join(tmpdir(), "mdeploy-bench-gitops-rollout-"))
  const stack = await startStack()
  try {
    const bare = join(root, "remote.git")
    const work = join(root, "work")
    git(root, ["init", "-q", "--bare", bare])
    git(root, ["init", "-q", "-b", "main", work])
    mkdirSync(join(work, "specs"))
    for (let index = 0; index < options.instances; index++) writeFileSync(join(work, "specs", `svc${index}.yaml`), manifest(index))
    git(work, ["add", "-A"])
    git(work, ["commit", "-q", "-m", "all"])
    git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
    const url = `file://${bare}`

    // The converged starting point: apps seeded bare, specs owned by the source, a controller that adopts them.
    await seedApps(stack.sim.url, options.instances, (index) => specOf(index))
    await pool(
      options.instances,
      32,
      (index) => stack.client.put(`${stack.prefix}/specs/${instanceName(index)}`).value(stored(index)).exec()
    )
    const addr = `127.0.0.1:${await freePort()}`
    const controller = await startController({
      etcd: stack.etcd.endpoints,
      prefix: stack.prefix,
      marathon: stack.sim.url,
      resyncSeconds: 3600,
      args: ["--http-addr", addr, "--gitops-cache-dir", join(root, "cache")],
      env: { HOOK: secret }
    })
    stack.controllers.push(controller)
    await waitFor(`${options.instances} instances Running`, 300_000, async () => {
      if (controller.proc.exitCode !== null) {
        throw new Error(`controller exited ${controller.proc.exitCode}: ${controller.logTail().slice(-2000)}`)
      }
      return (await runningStatuses(stack.client, stack.prefix, () => 1)) === options.instances ? true : undefined
    }, 1000)

    const status = async () =>
      JSON.parse((await stack.client.get(`${stack.prefix}/gitsource-status/${source}`).string()) ?? "{}") as {
        lastAppliedRevision?: string
        history?: ReadonlyArray<{ written: number; unchanged: number }>
      }
    const applied = (commit: string, timeoutMs: number) =>
      waitFor(
        `revision ${commit.slice(0, 12)} applied`,
        timeoutMs,
        async () => ((await status()).lastAppliedRevision === commit ? true : undefined),
        20
      )
    const layer = GitSourceStore.layerNoDeps.pipe(
      Layer.provide(EtcdClient.layer({ endpoints: stack.etcd.endpoints.split(","), prefix: stack.prefix }))
    )
    await Effect.runPromise(
      Effect.gen(function*() {
        yield* (yield* GitSourceStore).apply({
          apiVersion: "mdeploy.dev/v1",
          kind: "GitSource",
          metadata: { name: source },
          spec: { url, path: "specs", interval: "1h", webhook: { secretEnv: "HOOK" } }
        })
      }).pipe(Effect.provide(layer))
    )
    await applied(git(work, ["rev-parse", "HEAD"]), 600_000)
    const initial = (await status()).history?.[0]
    await stack.tap.quiet(500, 30_000)

    const latencies: Array<number> = []
    let missed = 0
    const body = Buffer.from("{}")
    const signature = githubSignature(secret, body)
    for (let k = 0; k < options.changes && missed < 3; k++) {
      const index = (k * 7919) % options.instances
      writeFileSync(join(work, "specs", `svc${index}.yaml`), manifest(index, 2))
      git(work, ["commit", "-q", "-am", `scale svc${index}`])
      git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
      const head = git(work, ["rev-parse", "HEAD"])
      await stack.tap.quiet(100, 5_000)
      await controller.idle(60, 3_000)
      const appPrefix = `/v2/apps/${instanceName(index)}.`
      const wrote = stack.tap.next((method, path) => method !== "GET" && path.startsWith(appPrefix), 10_000)
      const start = performance.now()
      const answer = await fetch(`http://${addr}/hooks/git/${source}`, {
        method: "POST",
        body,
        headers: { "x-hub-signature-256": signature }
      })
      await answer.arrayBuffer()
      const at = await wrote
      if (at === undefined) missed++
      else latencies.push(at - start)
      await applied(head, 10_000)
    }

    // Floor: the bare tools — fetch the new commit shallowly, put one key and see it watched, POST to the emulator.
    const floorDir = join(root, "floor")
    git(root, ["init", "-q", floorDir])
    const floor = await bareReactionSamples(stack, Math.max(10, Math.min(options.changes, 50)), {
      prepare: (k) => {
        writeFileSync(join(work, "floor.txt"), String(k))
        git(work, ["add", "floor.txt"])
        git(work, ["commit", "-q", "-m", "floor"])
        git(work, ["push", "-q", bare, "HEAD:refs/heads/main"])
      },
      lead: () => gitAsync(floorDir, ["fetch", "-q", "--depth", "1", url, "refs/heads/main"])
    })

    const size = options.instances.toLocaleString("en")
    const p99 = percentile(latencies, 99)
    const floor99 = percentile(floor, 99)
    return {
      name: `gitops-rollout-${options.instances}`,
      rows: [
        {
          metric: `webhook → first Marathon write, p50 (${size} instances)`,
          value: round(percentile(latencies, 50)),
          unit: "ms",
          floor: round(percentile(floor, 50))
        },
        {
          metric: `webhook → first Marathon write, p99 (${size} instances)`,
          value: round(p99),
          unit: "ms",
          floor: round(floor99),
          goal: "<= 1000 ms + floor p99",
          met: missed === 0 && latencies.length > 0 && p99 <= 1000 + floor99,
          note:
            `${latencies.length} one-file commits (one instance scaled 1 → 2), ${missed} unanswered within 10 s; the source's first sync over the converged fleet wrote ${
              initial?.written ?? "?"
            } and left ${
              initial?.unchanged ?? "?"
            } unchanged; floor: bare git fetch --depth 1 + etcd put → watch event + POST at the emulator`
        }
      ],
      details: {
        instances: options.instances,
        changes: options.changes,
        missed,
        latenciesMs: latencies.map((value) => round(value)),
        floorMs: floor.map((value) => round(value)),
        initialSync: initial,
        controllerCpuSeconds: controller.cpuSeconds(),
        controllerRssMb: round(controller.rssMb())
      }
    }
  } finally {
    await stack.close()
    rmSync(root, { recursive: true, force: true })
  }
}

const bench: Bench = () =>
  run({
    instances: Number(process.env["MDEPLOY_BENCH_GITOPS_INSTANCES"] ?? 5_000),
    changes: Number(process.env["MDEPLOY_BENCH_GITOPS_CHANGES"] ?? 50)
  })
export default bench
