// Reaction latency: with N instances converged, one spec gets a new `instances` value (an in-place
// scale); measured from just before the etcd put to the moment the emulator receives the
// controller's first write for that app (request headers in, seen in-process). Floor, same run:
// a bare etcd put → bare watch event → bare HTTP POST arriving at the same emulator.
// Also probes the lists the controller's informers read at this N, its statuses and N realistic
// specs, each in one etcd range answer (gRPC clients refuse answers over 4 MiB by default).
import { Etcd3 } from "etcd3"
import type { Bench, BenchReport, BenchRow } from "./BenchReport.ts"
import { benchSpec, converge, instanceName, percentile, putSpecs, round, sleep, startStack, storedSpec } from "./internal/stack.ts"

export interface Options {
  /** Converged instances (the specs are compact: image and instances only, see `probeList`). */
  readonly instances: number
  /** Spec changes measured, one at a time from a quiet controller. */
  readonly changes: number
  /** Also put N realistic specs under another prefix and list them the way the informer does. */
  readonly probeList: boolean
}

const compactSpec = (index: number, instances = 1) => benchSpec(index, "v1", instances, {}, true)

/** One bare sample: put → watch event → POST /v2/apps to the emulator, until that POST arrives. */
const floorSamples = async (stack: Awaited<ReturnType<typeof startStack>>, count: number) => {
  const key = `${stack.prefix}-floor/key`
  const watcher = await stack.client.watch().key(key).create()
  const samples: Array<number> = []
  try {
    for (let k = 0; k < count; k++) {
      await stack.tap.quiet(50, 2_000)
      const arrived = stack.tap.next((method, path) => method === "POST" && path === "/v2/apps", 5_000)
      const t0 = performance.now()
      const watched = new Promise<void>((resolve) => watcher.once("put", () => resolve()))
      await stack.client.put(key).value(String(k))
      await watched
      // An app without instances: a real create, no task work afterwards.
      void fetch(`${stack.sim.url}/v2/apps`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ id: `/floor/f${k}`, cmd: "sleep 1", instances: 0, cpus: 0.01, mem: 16 })
      }).then((response) => response.arrayBuffer())
      const at = await arrived
      if (at !== undefined) samples.push(at - t0)
    }
  } finally {
    await watcher.cancel()
  }
  return samples
}

/**
 * Lists a prefix in one range request with a bare etcd3 client and its default limits, as the
 * controller's informers do; the answer's size is what gRPC reports, or the keys and values summed.
 */
const listProbe = async (stack: Awaited<ReturnType<typeof startStack>>, prefix: string) => {
  const client = new Etcd3({ hosts: stack.etcd.endpoints.replace(/^https?:\/\//, "") })
  try {
    const answer = await client.getAll().prefix(prefix).strings()
    const bytes = Object.entries(answer).reduce((sum, [key, value]) => sum + key.length + value.length, 0)
    return { ok: true, bytes, error: "", listed: Object.keys(answer).length }
  } catch (error) {
    const message = String((error as Error).message)
    const reported = /larger than max \((\d+) vs/.exec(message)?.[1]
    return { ok: false, bytes: Number(reported ?? Number.NaN), error: message.slice(0, 120), listed: 0 }
  } finally {
    client.close()
  }
}

/** The informers' lists at this N: the controller's own statuses, and N realistic specs. */
const listProbes = async (stack: Awaited<ReturnType<typeof startStack>>, count: number) => {
  const statuses = await listProbe(stack, `${stack.prefix}/status/`)
  const prefix = `${stack.prefix}-probe`
  await putSpecs(stack.client, prefix, count, (index) => benchSpec(index, "v1", 3))
  const specs = await listProbe(stack, `${prefix}/specs/`)
  await stack.client.delete().prefix(`${prefix}/`)
  return { statuses, specs }
}

export const run = async (options: Options): Promise<BenchReport> => {
  const stack = await startStack()
  try {
    // No periodic resync during the measurement: every list call is caused by a change.
    const { controller, seedMs, specsMs, syncMs } = await converge(stack, options.instances, (index) => compactSpec(index), { resyncSeconds: 3600 })
    await stack.tap.quiet(500, 30_000)

    const latencies: Array<number> = []
    const toListStart: Array<number> = []
    let missed = 0
    const listsBefore = stack.tap.count("GET /v2/apps")
    const targetedBefore = stack.tap.count("GET /v2/apps?id=")
    for (let k = 0; k < options.changes && missed < 3; k++) {
      // Distinct apps in a scattered order; each goes from 1 to 2 instances once.
      const index = (k * 7919) % options.instances
      const appPrefix = `/v2/apps/${instanceName(index)}.`
      // From a quiet controller: the previous change's follow-up lists are parsed and done.
      await stack.tap.quiet(100, 5_000)
      await controller.idle(60, 3_000)
      // The controller's first look at Marathon for this change: a full list or its own apps.
      const listed = stack.tap.next((_method, _path, route) => route === "GET /v2/apps" || route === "GET /v2/apps?id=", 10_000)
      const wrote = stack.tap.next((method, path) => method !== "GET" && path.startsWith(appPrefix), 10_000)
      const t0 = performance.now()
      await stack.client.put(`${stack.prefix}/specs/${instanceName(index)}`).value(storedSpec(instanceName(index), compactSpec(index, 2), 2))
      const at = await wrote
      if (at === undefined) {
        missed++
        continue
      }
      latencies.push(at - t0)
      const listAt = await Promise.race([listed, sleep(0).then(() => undefined)])
      if (listAt !== undefined && listAt < at) toListStart.push(listAt - t0)
    }
    const lists = stack.tap.count("GET /v2/apps") - listsBefore
    const targeted = stack.tap.count("GET /v2/apps?id=") - targetedBefore
    const cpu = controller.cpuSeconds()
    const rss = controller.rssMb()

    const floor = await floorSamples(stack, Math.max(options.changes, 20))
    const probes = options.probeList ? await listProbes(stack, options.instances) : undefined

    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    const floor50 = percentile(floor, 50)
    const floor99 = percentile(floor, 99)
    const size = options.instances.toLocaleString("en")
    const note = latencies.length === 0 ? `no reaction to ${missed} changes within 10 s each` : `${latencies.length} changes, ${missed} unanswered; ${round(lists / Math.max(latencies.length, 1), 2)} full lists and ${round(targeted / Math.max(latencies.length, 1), 2)} single-instance lists per change; the first Marathon read started p50 ${round(percentile(toListStart, 50))} ms after the put`
    const rows: Array<BenchRow> = [
      { metric: `spec change → first Marathon write, p50 (${size} instances)`, value: round(p50), unit: "ms", floor: round(floor50), note },
      {
        metric: `spec change → first Marathon write, p99 (${size} instances)`,
        value: round(p99),
        unit: "ms",
        floor: round(floor99),
        goal: "<= floor p99 + 50 ms",
        met: missed === 0 && p99 <= floor99 + 50,
        note: "floor: bare etcd put → watch event → POST arriving at the emulator"
      },
      { metric: `controller initial sync of ${size} running instances`, value: round(syncMs / 1000, 2), unit: "s", note: `apps seeded by a bare client in ${round(seedMs / 1000, 1)} s, specs put in ${round(specsMs / 1000, 1)} s; the controller adopts them (no writes)` }
    ]
    for (const [what, probe] of Object.entries(probes ?? {})) {
      const perItem = probe.bytes / options.instances
      rows.push({
        metric: `informer list of ${size} ${what === "specs" ? "realistic specs" : "statuses"}, one range answer`,
        value: round(probe.bytes / 1024 / 1024, 2),
        unit: "MiB",
        goal: "<= 4 MiB (gRPC's default answer limit)",
        met: probe.ok,
        note: `${round(perItem, 0)} B each: at most ${Math.floor((4 * 1024 * 1024) / perItem).toLocaleString("en")} fit; ${probe.ok ? `${probe.listed} listed` : `bare etcd3 getAll: ${probe.error}`}`
      })
    }
    return {
      name: `reaction-latency-${options.instances}`,
      rows,
      details: {
        instances: options.instances,
        changes: options.changes,
        missed,
        latenciesMs: latencies.map((value) => round(value)),
        floorMs: floor.map((value) => round(value)),
        listStartMs: toListStart.map((value) => round(value)),
        fullListsDuringChanges: lists,
        singleInstanceListsDuringChanges: targeted,
        controllerCpuSeconds: cpu,
        controllerRssMb: round(rss),
        spec: "compact: {image, instances}; the realistic spec (ports, healthCheck, bounce, labels) is ~470 B stored",
        controller: "mdeploy controller --workers 8 --resync 3600"
      }
    }
  } finally {
    await stack.close()
  }
}

const bench: Bench = () => run({ instances: 10_000, changes: 200, probeList: true })
export default bench
