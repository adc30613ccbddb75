// The whole system for integration tests: a real etcd (one member or three), the Marathon
// emulator in-process behind a recording proxy, the real `mdeploy` binary for the CLI, and real
// controller processes (killable with SIGKILL). Each stack has its own etcd key prefix.
import { spawn } from "node:child_process"
import { onTestFailed } from "vitest"
import type { ChildProcess } from "node:child_process"
import type { RunningSim, SimOptions } from "../../src/sim/MarathonSim.ts"
import { start as startSim } from "../../src/sim/MarathonSim.ts"
import type { CliResult } from "./cli.ts"
import { binPath, repoRoot, runCli } from "./cli.ts"
import type { EtcdCluster } from "./etcd.ts"
import { startLocalEtcd, uniquePrefix } from "./etcd.ts"
import type { RecordingProxy } from "./recordingProxy.ts"
import { startRecordingProxy } from "./recordingProxy.ts"
import { waitUntil } from "./wait.ts"

export interface ControllerProcess {
  readonly process: ChildProcess
  readonly logs: () => string
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
}

export interface MarathonTask {
  readonly id: string
  readonly state: string
  readonly healthCheckResults?: ReadonlyArray<{ alive: boolean }>
}
export interface MarathonApp {
  readonly id: string
  readonly instances: number
  readonly labels?: Record<string, string>
  readonly tasks?: ReadonlyArray<MarathonTask>
}

export interface Stack {
  readonly etcd: EtcdCluster
  readonly sim: RunningSim
  readonly proxy: RecordingProxy
  readonly prefix: string
  readonly env: Record<string, string>
  readonly cli: (args: ReadonlyArray<string>, stdin?: string) => Promise<CliResult>
  /** `envOverrides` point a controller elsewhere: another prefix (installation) or proxy. */
  readonly startController: (args?: ReadonlyArray<string>, envOverrides?: Record<string, string>) => Promise<ControllerProcess>
  readonly apps: () => Promise<ReadonlyArray<MarathonApp>>
  /** The emulator's own state (/__sim/state), which no injected fault can doctor; tasks carry health as a result. */
  readonly trueApps: () => Promise<ReadonlyArray<MarathonApp>>
  readonly status: (name: string) => Promise<any>
  readonly spec: (name: string) => Promise<any>
  readonly close: () => Promise<void>
}

const readKey = async (etcd: EtcdCluster, key: string): Promise<unknown> => {
  for (const member of etcd.members) {
    if (member.process === undefined) continue
    try {
      const response = await fetch(`${member.clientUrl}/v3/kv/range`, {
        method: "POST",
        body: JSON.stringify({ key: Buffer.from(key).toString("base64") }),
        signal: AbortSignal.timeout(2_000)
      })
      const body = (await response.json()) as { kvs?: Array<{ value: string }> }
      const value = body.kvs?.[0]?.value
      return value === undefined ? undefined : JSON.parse(Buffer.from(value, "base64").toString("utf8"))
    } catch {
      continue
    }
  }
  throw new Error("no etcd member answered")
}

export const startStack = async (
  options: { readonly etcdMembers?: number; readonly sim?: Partial<SimOptions>; readonly label?: string } = {}
): Promise<Stack> => {
  const etcd = await startLocalEtcd({ members: options.etcdMembers ?? 1 })
  const sim = await startSim({ clock: "real", taskStartDelayMs: 40, healthyAfterMs: 80, taskKillDelayMs: 20, ...options.sim })
  const proxy = await startRecordingProxy(sim.url)
  const prefix = uniquePrefix(options.label ?? "stack")
  const controllers: Array<ControllerProcess> = []
  // A failed test shows what its controllers logged (the tail of each), so a rare failure can be
  // read from the run that had it. Outside a test (a beforeAll), there is no test to attach to.
  try {
    onTestFailed(() => {
      controllers.forEach((controller, index) => {
        process.stderr.write(
          `--- controller ${index} (${options.label ?? "stack"}), last 16 KiB of its log ---\n${controller.logs().slice(-16_384)}\n`
        )
      })
    })
  } catch {
    // not inside a test
  }
  const env = {
    MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints,
    MDEPLOY_ETCD_PREFIX: prefix,
    MDEPLOY_MARATHON_URLS: proxy.url,
    MDEPLOY_LOG_LEVEL: "debug"
  }
  return {
    etcd,
    sim,
    proxy,
    prefix,
    env,
    cli: (args, stdin) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) }),
    startController: async (args = [], envOverrides = {}) => {
      const defaults: Record<string, string> = { "--leader-ttl": "2", "--workers": "4", "--resync": "20" }
      const flags = Object.entries(defaults).filter(([flag]) => !args.includes(flag)).flat()
      const child = spawn(process.execPath, [binPath, "controller", ...flags, ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...env, ...envOverrides },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let logs = ""
      child.stdout.on("data", (chunk) => (logs += chunk))
      child.stderr.on("data", (chunk) => (logs += chunk))
      const controller: ControllerProcess = {
        process: child,
        logs: () => logs,
        kill: async (signal = "SIGTERM") => {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
          child.kill(signal)
          await exited
        }
      }
      controllers.push(controller)
      await waitUntil("controller started", () => logs.includes("mdeploy controller starting"), { timeoutMs: 20_000 })
      return controller
    },
    apps: async () => {
      const response = await fetch(`${sim.url}/v2/apps?embed=apps.tasks`)
      return ((await response.json()) as { apps: Array<MarathonApp> }).apps
    },
    trueApps: async () => {
      const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as {
        apps: Array<{ id: string; instances: number }>
        tasks: Array<{ taskId: string | null; appId: string; state: string; healthy: boolean | null }>
      }
      return state.apps.map((app) => ({
        id: app.id,
        instances: app.instances,
        tasks: state.tasks.filter((task) => task.appId === app.id && task.taskId !== null).map((task) => ({
          id: task.taskId!,
          state: task.state,
          healthCheckResults: task.healthy === true ? [{ alive: true }] : []
        }))
      }))
    },
    status: (name) => readKey(etcd, `${prefix}/status/${name}`),
    spec: (name) => readKey(etcd, `${prefix}/specs/${name}`),
    close: async () => {
      await Promise.all(controllers.map((controller) => controller.kill("SIGKILL")))
      await proxy.close()
      await sim.close()
      await etcd.close()
    }
  }
}

/** A ServiceInstance manifest for tests. */
export const manifest = (name: string, fields: Record<string, unknown>): string =>
  JSON.stringify({ apiVersion: "mdeploy.dev/v1", kind: "ServiceInstance", metadata: { name }, spec: { gitSha: "abcdef12", ...fields } })

/** Waits until `name`'s status says generation `generation` is rolled out (phase Running). */
export const rolledOut = (stack: Stack, name: string, generation: number, timeoutMs = 60_000) =>
  waitUntil(`${name} rolled out at generation ${generation}`, async () => {
    const status = await stack.status(name)
    return status?.observedGeneration === generation && status.phase === "Running"
  }, { timeoutMs, intervalMs: 20 })

/** A spec whose crossover bounce takes a few seconds (each drain waits a second). */
export const slowCrossover = (image: string, instances = 3) => ({
  image,
  instances,
  ports: [8080],
  healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1 },
  bounce: { method: "crossover" },
  drain: { method: "test", params: { delay: 1 } }
})

/** Healthy RUNNING tasks of one app. */
export const happyTasks = (app: MarathonApp | undefined): number =>
  (app?.tasks ?? []).filter((task) => task.state === "TASK_RUNNING" && (task.healthCheckResults ?? []).some((r) => r.alive)).length

/** Apps of one instance (exact `/<svc>.<inst>.` prefix, `_` written `--`). */
export const appsOf = (apps: ReadonlyArray<MarathonApp>, name: string): ReadonlyArray<MarathonApp> =>
  apps.filter((app) => app.id.startsWith(`/${name.replace(/_/g, "--")}.`))
