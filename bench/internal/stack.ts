// Shared set-up for the controller benchmarks: specs written straight into etcd, apps seeded
// straight into the emulator (exactly the definitions the controller would create), and a whole
// stack — etcd, the in-process emulator with a request tap, controllers — started and torn down
// together. Re-exports the helpers of util.ts, requestTap.ts and controllerChild.ts.
import { Etcd3 } from "etcd3"
import { desiredApp } from "../../src/domain/AppIdentity.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import { type RunningSim, type SimOptions, start as startSim } from "../../src/sim/MarathonSim.ts"
import { type EtcdCluster, startLocalEtcd } from "../../src/store/LocalEtcd.ts"
import { type ControllerChild, type ControllerOptions, startController } from "./controllerChild.ts"
import { type RequestTap, tapRequests } from "./requestTap.ts"
import { benchOwner, call, pool, waitFor } from "./util.ts"
import { pagedRange } from "./pagedRange.ts"

export * from "./controllerChild.ts"
export * from "./requestTap.ts"
export * from "./util.ts"

/**
 * The spec every benchmark instance starts from: a docker image, one port, an HTTP health check
 * and crossover, as a service owner writes it (about 500 bytes stored).
 */
export const benchSpec = (index: number, image: string, instances: number, extra: Partial<ServiceInstanceSpec> = {}): ServiceInstanceSpec =>
  ({
    image: `registry.example/svc${index}:${image}`,
    instances,
    ports: [8080],
    healthCheck: {
      protocol: "MESOS_HTTP",
      path: "/status",
      gracePeriodSeconds: 5,
      intervalSeconds: 1,
      timeoutSeconds: 1,
      maxConsecutiveFailures: 3
    },
    bounce: { method: "crossover" },
    ...extra
  }) as ServiceInstanceSpec

export const instanceName = (index: number) => `svc${index}.main`

/** The stored form SpecStore writes (no resourceVersion: that is the key's revision). */
export const storedSpec = (
  name: string,
  spec: ServiceInstanceSpec,
  generation: number,
  labels: Record<string, string> = { team: "bench" }
) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: {
      name,
      labels,
      uid: `00000000-0000-4000-8000-${String(generation).padStart(12, "0")}`,
      generation,
      creationTimestamp: "2026-01-01T00:00:00.000Z"
    },
    spec
  })

export const putSpecs = (
  etcd: Etcd3,
  prefix: string,
  count: number,
  specOf: (index: number) => ServiceInstanceSpec,
  generation = 1,
  labels?: Record<string, string>
) =>
  pool(
    count,
    32,
    (index) =>
      etcd.put(`${prefix}/specs/${instanceName(index)}`).value(storedSpec(instanceName(index), specOf(index), generation, labels)).exec()
  )

/** The Marathon app the controller would create for this spec (id, labels and hash included). */
export const appFor = (index: number, spec: ServiceInstanceSpec) => desiredApp(resolveSpec(instanceName(index) as InstanceName, spec))

/** Creates the apps in the emulator with a bare client, 32 in flight (the converged starting point). */
export const seedApps = (simUrl: string, count: number, specOf: (index: number) => ServiceInstanceSpec) =>
  pool(count, 32, async (index) => {
    const definition = appFor(index, specOf(index)).definition
    const labels = { ...(definition["labels"] as Record<string, string>), MDEPLOY_OWNER: benchOwner }
    const answer = await call(`${simUrl}/v2/apps`, "POST", { ...definition, labels })
    if (answer.status !== 201) throw new Error(`seeding app ${index}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`)
  })

/** Instances whose status is Running at the spec generation they are checked against. */
export const runningStatuses = async (etcd: Etcd3, prefix: string, generation: (name: string) => number): Promise<number> => {
  let running = 0
  for (const [key, value] of await pagedRange(etcd, `${prefix}/status/`)) {
    const status = JSON.parse(value) as { phase?: string; observedGeneration?: number }
    if (status.phase === "Running" && status.observedGeneration === generation(key.slice(prefix.length + "/status/".length))) running++
  }
  return running
}

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
    sim = await startSim({
      taskStartDelayMs: 5,
      healthyAfterMs: 5,
      taskKillDelayMs: 5,
      agents: 10,
      maxRunningDeployments: 1_000_000,
      ...simOptions
    })
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
