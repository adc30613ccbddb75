// Mass rollout: N converged instances (3 instant-healthy tasks each, crossover) get a new image in
// one `mdeploy apply -f dir` (the real CLI process). Measured from the apply process's start until
// every new app exists in the emulator, and until every bounce is finished (old apps gone, every
// status Running at the new generation). Floor, same run: a bare client creating N apps with the
// same definitions and the controller's concurrency (its worker count) against the same emulator.
// Run twice: the controller with its default Marathon write limit (50/s, burst 100), and again with
// `--marathon-write-qps 10000`, to separate the limit from the machinery.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Bench, BenchReport, BenchRow } from "./BenchReport.ts"
import {
  appFor,
  benchSpec,
  call,
  converge,
  instanceName,
  pool,
  root,
  round,
  runningStatuses,
  startStack,
  waitFor
} from "./internal/stack.ts"

/** The controller's default Marathon write limit (TokenBucket.ts) and the allowance over its arithmetic. */
const defaultWriteQps = 50
const defaultWriteBurst = 100
const limitConstantMs = 2_000

export interface Options {
  readonly instances: number
  readonly tasks: number
  /** Controller workers, and the bare client's requests in flight. */
  readonly workers: number
  /** Also run with the write limit lifted to this many writes per second (0: skip). */
  readonly liftedQps: number
}

const manifest = (index: number, image: string, tasks: number) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: { name: instanceName(index), labels: { team: "bench" } },
    spec: benchSpec(index, image, tasks)
  })

export const rollout = async (options: Options, writeQps: number | undefined) => {
  const { instances, tasks, workers } = options
  const stack = await startStack()
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-bench-rollout-"))
  try {
    const { controller, syncMs } = await converge(stack, instances, (index) => benchSpec(index, "v1", tasks), {
      workers,
      ...(writeQps === undefined ? {} : { writeQps })
    })
    for (let index = 0; index < instances; index++) writeFileSync(join(dir, `svc${index}.json`), manifest(index, "v2", tasks))
    const oldIds = Array.from({ length: instances }, (_, index) => appFor(index, benchSpec(index, "v1", tasks)).id)
    const newIds = Array.from({ length: instances }, (_, index) => appFor(index, benchSpec(index, "v2", tasks)).id)
    const apps = stack.sim.sim.ctx.apps
    const writesBefore = new Map(stack.tap.counts)
    const cpuBefore = controller.cpuSeconds()

    const t0 = performance.now()
    const applied = new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, "bin", "mdeploy.js"), "apply", "-f", dir], {
        cwd: root,
        env: { ...process.env, MDEPLOY_ETCD_ENDPOINTS: stack.etcd.endpoints, MDEPLOY_ETCD_PREFIX: stack.prefix },
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk) => (stderr += chunk))
      child.on("error", reject)
      child.on(
        "close",
        (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`mdeploy apply exited ${code}: ${stderr.slice(-1000)}`)))
      )
    })
    // Both waits are bounded: at the default 50 writes/s a rollout of 1,000 needs about a minute.
    const createdMs = await waitFor(
      "every new app created",
      240_000,
      () => (newIds.every((id) => apps.has(id)) ? performance.now() - t0 : undefined),
      20
    )
    const applyMs = await applied
    const doneMs = await waitFor("every bounce finished", 300_000, async () => {
      if (oldIds.some((id) => apps.has(id))) return undefined
      return (await runningStatuses(stack.client, stack.prefix, () => 2)) === instances ? performance.now() - t0 : undefined
    }, 200)
    const cpu = controller.cpuSeconds() - cpuBefore
    const writes: Record<string, number> = {}
    for (const [route, count] of stack.tap.counts) {
      const delta = count - (writesBefore.get(route) ?? 0)
      if (delta > 0) writes[route] = delta
    }

    // The floor, with the controller stopped so that only the bare client talks to the emulator.
    // Its apps live in a folder, which the controller would never take for its own.
    await controller.stop()
    const floorStart = performance.now()
    await pool(instances, workers, async (index) => {
      const definition = appFor(index, benchSpec(index, "v3", tasks)).definition
      const answer = await call(`${stack.sim.url}/v2/apps`, "POST", { ...definition, id: `/floor${String(definition["id"])}` })
      if (answer.status !== 201) throw new Error(`floor create ${index}: HTTP ${answer.status}`)
    })
    const floorMs = performance.now() - floorStart

    return { createdMs, doneMs, applyMs, floorMs, cpu, syncMs, writes }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await stack.close()
  }
}

export const run = async (options: Options): Promise<BenchReport> => {
  const { instances, tasks, workers } = options
  const size = instances.toLocaleString("en")
  const shipped = await rollout(options, undefined)
  const lifted = options.liftedQps > 0 ? await rollout(options, options.liftedQps) : undefined
  const rows: Array<BenchRow> = []
  for (const [label, result] of [["", shipped], [`, --marathon-write-qps ${options.liftedQps}`, lifted]] as const) {
    if (result === undefined) continue
    // The issue's goals. Shipped limit: the limit's own arithmetic (the burst at once, the rest at
    // the rate) after the apply, plus a small constant. Lifted: within twice the bare work, the
    // apply (which costs what a bare client's writes do) plus a bare client's creates.
    const limitSeconds = Math.max(0, instances - defaultWriteBurst) / defaultWriteQps
    const goalMs = label === "" ? result.applyMs + limitSeconds * 1000 + limitConstantMs : 2 * (result.applyMs + result.floorMs)
    rows.push(
      {
        metric: `apply of a new image → all ${size} new apps created${label}`,
        value: round(result.createdMs / 1000, 2),
        unit: "s",
        floor: round(result.floorMs / 1000, 2),
        goal: label === ""
          ? `<= apply + (N - burst) / rate + ${limitConstantMs / 1000} s = ${round(goalMs / 1000, 2)} s`
          : `<= 2x (apply + floor) = ${round(goalMs / 1000, 2)} s`,
        met: result.createdMs <= goalMs,
        note: `mdeploy apply itself took ${round(result.applyMs / 1000, 2)} s (process wall); floor: bare client, ${workers} in flight${
          label === "" ? `; the controller's default Marathon write limit: ${defaultWriteQps}/s, burst ${defaultWriteBurst}` : ""
        }`
      },
      {
        metric: `apply of a new image → all ${size} crossover bounces finished${label}`,
        value: round(result.doneMs / 1000, 2),
        unit: "s",
        note: `${tasks} instant-healthy tasks per instance; old apps deleted, every status Running at generation 2; controller CPU ${
          round(result.cpu, 1)
        } s`
      }
    )
  }
  return {
    name: `mass-rollout-${instances}`,
    rows,
    details: {
      instances,
      tasksPerInstance: tasks,
      workers,
      shipped: { ...shipped, initialSyncMs: shipped.syncMs },
      ...(lifted === undefined ? {} : { lifted: { ...lifted, writeQps: options.liftedQps } })
    }
  }
}

const bench: Bench = () => run({ instances: 1_000, tasks: 3, workers: 8, liftedQps: 10_000 })
export default bench
