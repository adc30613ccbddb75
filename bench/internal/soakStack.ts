// The chaos soak's system under test and its handles: a 3-member loopback etcd, the Marathon
// emulator in this process, the drain backend on the emulator's agent addresses, and two controller
// slots, each `bin/mdeploy.js controller` behind its own recording proxy, killable (-9), stoppable
// (SIGSTOP) and restartable. `close` leaves no child process behind, whatever state it is in.
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Etcd3 } from "etcd3"
import { type RunningSim, start as startSim } from "../../src/sim/MarathonSim.ts"
import { type EtcdCluster, freePort, startLocalEtcd } from "../../src/store/LocalEtcd.ts"
import { type DrainBackend, startDrainBackend } from "./drainBackend.ts"
import { type SoakProxy, startSoakProxy } from "./soakProxy.ts"
import type { ProxyRecord } from "./soakInvariants.ts"
import { root, sleep } from "./util.ts"

export interface ControllerSlot {
  readonly name: string
  readonly proxy: SoakProxy
  proc: ChildProcess | undefined
  stopped: boolean
  starts: number
}

export interface SoakStack {
  readonly etcd: EtcdCluster
  readonly client: Etcd3
  readonly sim: RunningSim
  readonly drain: DrainBackend
  readonly prefix: string
  readonly slots: ReadonlyArray<ControllerSlot>
  readonly logDir: string
  /** Flags passed to every controller beyond the defaults (`--owner soak` when it exists). */
  readonly extraFlags: ReadonlyArray<string>
  readonly startSlot: (slot: ControllerSlot) => Promise<void>
  readonly killSlot: (slot: ControllerSlot) => Promise<void>
  /** The slot whose process holds the leader key, if any. */
  readonly leaderSlot: () => Promise<ControllerSlot | undefined>
  readonly close: (keepLogs: boolean) => Promise<void>
  /** Synchronous last resort (process exit, a crash): SIGKILL of every child, etcd data removed. */
  readonly killNow: () => void
}

/** Whether `mdeploy controller` knows a flag (new ones are being added while the soak exists). */
export const controllerHasFlag = (flag: string): boolean => {
  const help = spawnSync(process.execPath, [join(root, "bin", "mdeploy.js"), "controller", "--help"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000
  })
  return `${help.stdout}${help.stderr}`.includes(flag)
}

const exited = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null

export interface SoakStackOptions {
  readonly seed: number
  readonly report: (record: ProxyRecord) => void
  readonly extraFlags: ReadonlyArray<string>
  readonly log: (message: string) => void
}

export const startSoakStack = async (options: SoakStackOptions): Promise<SoakStack> => {
  const undo: Array<() => Promise<void>> = []
  const unwind = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined)
  }
  try {
    const etcd = await startLocalEtcd({ members: 3 })
    undo.push(() => etcd.close())
    const sim = await startSim({
      clock: "real",
      taskStartDelayMs: 100,
      healthyAfterMs: 200,
      taskKillDelayMs: 50,
      agents: 6,
      maxRunningDeployments: 1_000_000,
      seed: options.seed
    })
    undo.push(() => sim.close())
    const drain = await startDrainBackend(sim.sim.ctx.agents.list.map((agent) => agent.host), 1)
    undo.push(() => drain.close())
    const slots: Array<ControllerSlot> = []
    for (const name of ["c1", "c2"]) {
      const proxy = await startSoakProxy(sim.url, name, options.report)
      undo.push(() => proxy.close())
      slots.push({ name, proxy, proc: undefined, stopped: false, starts: 0 })
    }
    const client = new Etcd3({ hosts: etcd.endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
    undo.push(async () => client.close())
    const prefix = "/soak/mdeploy/v1"
    const logDir = mkdtempSync(join(tmpdir(), "mdeploy-soak-"))
    const logs: Array<WriteStream> = []

    const killSlot = async (slot: ControllerSlot) => {
      const proc = slot.proc
      slot.proc = undefined
      slot.stopped = false
      if (proc === undefined || exited(proc)) return
      const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
      proc.kill("SIGKILL")
      await gone
    }
    const startSlot = async (slot: ControllerSlot) => {
      await killSlot(slot)
      slot.starts++
      const log = createWriteStream(join(logDir, `${slot.name}-${slot.starts}.log`))
      logs.push(log)
      const proc = spawn(process.execPath, [
        join(root, "bin", "mdeploy.js"),
        "controller",
        "--workers",
        "4",
        "--leader-ttl",
        "3",
        "--resync",
        "15",
        "--metrics-addr",
        `127.0.0.1:${await freePort()}`,
        ...options.extraFlags
      ], {
        cwd: root,
        env: { ...process.env, MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: prefix, MDEPLOY_MARATHON_URLS: slot.proxy.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      // A failed spawn (the node binary gone during an `npm ci`, say) leaves the slot down: the
      // end of the chaos starts it again.
      proc.on("error", (error) => {
        options.log(`controller ${slot.name} could not run: ${error.message}`)
        if (slot.proc === proc) slot.proc = undefined
      })
      proc.stdout!.pipe(log, { end: false })
      proc.stderr!.pipe(log, { end: false })
      slot.proc = proc
      slot.stopped = false
    }
    const leaderSlot = async () => {
      // The leader key holds {"identity": "controller@<host>/<pid>", "lease": …}.
      const value = await Promise.race([client.get(`${prefix}/leader`).string(), sleep(2_000).then(() => null)]).catch(() => null)
      let identity = ""
      try {
        identity = String((JSON.parse(value ?? "{}") as { identity?: unknown }).identity ?? "")
      } catch {
        identity = value ?? ""
      }
      const pid = identity === "" ? undefined : Number(identity.slice(identity.lastIndexOf("/") + 1))
      return slots.find((slot) => slot.proc !== undefined && slot.proc.pid === pid)
    }
    const close = async (keepLogs: boolean) => {
      for (const slot of slots) {
        if (slot.proc !== undefined && !exited(slot.proc)) slot.proc.kill("SIGCONT")
        await killSlot(slot)
      }
      for (const log of logs) log.end()
      await unwind()
      if (!keepLogs) rmSync(logDir, { recursive: true, force: true })
    }
    const killNow = () => {
      for (const slot of slots) if (slot.proc !== undefined && !exited(slot.proc)) slot.proc.kill("SIGKILL")
      for (const member of etcd.members) member.process?.kill("SIGKILL")
      rmSync(dirname(etcd.members[0]!.dataDir), { recursive: true, force: true })
    }
    return {
      etcd,
      client,
      sim,
      drain,
      prefix,
      slots,
      logDir,
      extraFlags: options.extraFlags,
      startSlot,
      killSlot,
      leaderSlot,
      close,
      killNow
    }
  } catch (error) {
    await unwind()
    throw error
  }
}
