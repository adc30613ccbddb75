// Reaction latency: with N instances converged, one spec gets a new `instances` value (an in-place
// scale); measured from just before the etcd put to the moment the emulator receives the
// controller's first write for that app (request headers in, seen in-process). Floor, same run:
// a bare etcd put → bare watch event → bare HTTP POST arriving at the same emulator.
// Also lists every spec and every status with the controller's own informer (in pages, so that no
// answer nears gRPC's default 4 MiB limit), and reports how large those lists are.
import { Effect, Stream } from "effect"
import { EtcdClient } from "../src/store/EtcdClient.ts"
import { defaultListPageSize, informer } from "../src/store/Informer.ts"
import type { Bench, BenchReport, BenchRow } from "./BenchReport.ts"
import { bareReactionSamples } from "./internal/bareReaction.ts"
import { benchSpec, converge, instanceName, percentile, round, sleep, startStack, storedSpec } from "./internal/stack.ts"

export interface Options {
  /** Converged instances, one task each, with the realistic spec (port, health check, crossover). */
  readonly instances: number
  /** Spec changes measured, one at a time from a quiet controller. */
  readonly changes: number
  /** Also list the N specs and N statuses through an informer, as the controller does. */
  readonly probeList: boolean
}

const specOf = (index: number, instances = 1) => benchSpec(index, "v1", instances)

/**
 * Lists a prefix with the controller's own informer and etcd client (EtcdClient.layer, its gRPC
 * limits included), until its first Synced. Reports the list's size (keys and values summed) and how
 * many range answers it took; a list that fails is retried by the informer, so a failure shows as
 * the 60 s deadline passing.
 */
const listProbe = (stack: Awaited<ReturnType<typeof startStack>>, prefix: string) =>
  Effect.runPromise(
    Effect.gen(function*() {
      let bytes = 0
      let listed = 0
      yield* informer<null>({
        prefix,
        parse: (key, value) => {
          bytes += key.length + value.length
          listed++
          return null
        }
      }).pipe(Stream.takeUntil((event) => event._tag === "Synced"), Stream.runDrain)
      return { ok: true, bytes, error: "", listed, pages: Math.max(1, Math.ceil(listed / defaultListPageSize)) }
    }).pipe(
      Effect.timeout("60 seconds"),
      Effect.catch((error) => Effect.succeed({ ok: false, bytes: Number.NaN, error: String(error).slice(0, 160), listed: 0, pages: 0 })),
      Effect.provide(EtcdClient.layer({ endpoints: stack.etcd.endpoints.split(","), prefix: stack.prefix, retries: 0 }))
    )
  )

/** The lists the controller's informers read at this N: every spec and every status. */
const listProbes = async (stack: Awaited<ReturnType<typeof startStack>>) => ({
  specs: await listProbe(stack, `${stack.prefix}/specs/`),
  statuses: await listProbe(stack, `${stack.prefix}/status/`)
})

export const run = async (options: Options): Promise<BenchReport> => {
  const stack = await startStack()
  try {
    // No periodic resync during the measurement: every list call is caused by a change.
    const { controller, seedMs, specsMs, syncMs } = await converge(stack, options.instances, (index) => specOf(index), {
      resyncSeconds: 3600
    })
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
      await stack.client.put(`${stack.prefix}/specs/${instanceName(index)}`).value(storedSpec(instanceName(index), specOf(index, 2), 2))
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

    const floor = await bareReactionSamples(stack, Math.max(options.changes, 20))
    const probes = options.probeList ? await listProbes(stack) : undefined

    const p50 = percentile(latencies, 50)
    const p99 = percentile(latencies, 99)
    const floor50 = percentile(floor, 50)
    const floor99 = percentile(floor, 99)
    const size = options.instances.toLocaleString("en")
    const note = latencies.length === 0
      ? `no reaction to ${missed} changes within 10 s each`
      : `${latencies.length} changes, ${missed} unanswered; ${round(lists / Math.max(latencies.length, 1), 2)} full lists and ${
        round(targeted / Math.max(latencies.length, 1), 2)
      } single-instance lists per change; the first Marathon read started p50 ${round(percentile(toListStart, 50))} ms after the put`
    const rows: Array<BenchRow> = [
      { metric: `spec change → first Marathon write, p50 (${size} instances)`, value: round(p50), unit: "ms", floor: round(floor50), note },
      {
        metric: `spec change → first Marathon write, p99 (${size} instances)`,
        value: round(p99),
        unit: "ms",
        floor: round(floor99),
        // The issue's goal (its first, floor + 50 ms, is shown in the note).
        goal: "<= 3x floor p99",
        met: missed === 0 && p99 <= 3 * floor99,
        note: `floor: bare etcd put → watch event → POST arriving at the emulator; floor + 50 ms: ${
          p99 <= floor99 + 50 ? "met" : "not met"
        }`
      },
      {
        metric: `controller initial sync of ${size} running instances`,
        value: round(syncMs / 1000, 2),
        unit: "s",
        note: `apps seeded by a bare client in ${round(seedMs / 1000, 1)} s, specs put in ${
          round(specsMs / 1000, 1)
        } s; the controller adopts them (no writes)`
      }
    ]
    for (const [what, probe] of Object.entries(probes ?? {})) {
      const perItem = probe.bytes / options.instances
      rows.push({
        metric: `informer list of ${size} ${what}, paged`,
        value: round(probe.bytes / 1024 / 1024, 2),
        unit: "MiB",
        goal: "listed by the controller's informer",
        met: probe.ok && probe.listed === options.instances,
        note: `${
          round(perItem, 0)
        } B each, ${probe.pages} pages of at most ${defaultListPageSize} (gRPC's default 4 MiB answer limit would hold ${
          Math.floor((4 * 1024 * 1024) / perItem).toLocaleString("en")
        } in one); ${probe.ok ? `${probe.listed} listed` : probe.error}`
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
        spec: "image, 1 instance, one port, MESOS_HTTP health check, crossover, one label",
        controller: "mdeploy controller --workers 8 --resync 3600"
      }
    }
  } finally {
    await stack.close()
  }
}

const bench: Bench = () => run({ instances: 10_000, changes: 200, probeList: true })
export default bench
