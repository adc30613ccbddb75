// The chaos soak's fault injector: at seeded random intervals, one fault of a seeded random kind —
// kill -9 and restart of a controller or an etcd member, SIGSTOP/SIGCONT of the leading controller,
// emulator 5xx and latency, dropped and silent event streams, empty and task-less app lists, and
// Marathon's task timestamps skewed against the controllers' clocks. At most one
// controller and one etcd member are down at once (a quorum always remains); `calm` undoes all.
import type { Rng } from "./soakSpecs.ts"
import type { SoakStack } from "./soakStack.ts"
import { call, sleep } from "./util.ts"

export const faultKinds = [
  "killController",
  "killEtcd",
  "stopLeader",
  "http5xx",
  "writes5xx",
  "latency",
  "sseDrop",
  "sseSilent",
  "emptyList",
  "noTasks",
  "clockSkew"
] as const
export type FaultKind = (typeof faultKinds)[number]

export interface FaultEvent {
  readonly at: number
  readonly kind: FaultKind
  readonly detail: string
}

export class Chaos {
  readonly events: Array<FaultEvent> = []
  private readonly stack: SoakStack
  private readonly rng: Rng
  private readonly log: (message: string) => void
  private readonly pending = new Set<Promise<void>>()
  private controllerBusy = false
  private etcdBusy = false

  constructor(stack: SoakStack, rng: Rng, log: (message: string) => void) {
    this.stack = stack
    this.rng = rng
    this.log = log
  }

  private record(kind: FaultKind, detail: string): void {
    this.events.push({ at: performance.now(), kind, detail })
    this.log(`fault ${kind}: ${detail}`)
  }

  private background(run: () => Promise<void>): void {
    const job = run().catch((error: unknown) => this.log(`fault restore failed: ${String(error)}`)).finally(() => this.pending.delete(job))
    this.pending.add(job)
  }

  private async fault(body: Record<string, unknown>): Promise<string> {
    const answer = await call(`${this.stack.sim.url}/__sim/faults`, "POST", body)
    if (answer.status !== 200) throw new Error(`POST /__sim/faults ${JSON.stringify(body)}: ${answer.status} ${answer.body}`)
    return JSON.stringify(body)
  }

  private async skew(seconds: number): Promise<void> {
    const answer = await call(`${this.stack.sim.url}/__sim/clock/skew`, "POST", { seconds })
    if (answer.status !== 200) throw new Error(`POST /__sim/clock/skew: ${answer.status} ${answer.body}`)
  }

  /** Injects one fault; returns false when its kind cannot run now (the caller picks again). */
  async inject(kind: FaultKind): Promise<boolean> {
    const { rng, stack } = this
    switch (kind) {
      case "killController": {
        if (this.controllerBusy) return false
        const leader = await stack.leaderSlot()
        const slot = leader !== undefined && rng.chance(0.6) ? leader : rng.pick(stack.slots)
        const downMs = rng.int(500, 4_000)
        this.controllerBusy = true
        this.record(kind, `${slot.name}${slot === leader ? " (leader)" : ""} pid ${slot.proc?.pid}, restarted after ${downMs} ms`)
        await stack.killSlot(slot)
        this.background(async () => {
          await sleep(downMs)
          await stack.startSlot(slot)
          this.controllerBusy = false
        })
        return true
      }
      case "stopLeader": {
        if (this.controllerBusy) return false
        const leader = await stack.leaderSlot()
        if (leader?.proc === undefined) return false
        const stoppedMs = rng.int(2_000, 9_000)
        this.controllerBusy = true
        this.record(kind, `${leader.name} pid ${leader.proc.pid} SIGSTOP for ${stoppedMs} ms (leader TTL 3 s)`)
        const proc = leader.proc
        proc.kill("SIGSTOP")
        leader.stopped = true
        this.background(async () => {
          await sleep(stoppedMs)
          if (leader.proc === proc) {
            proc.kill("SIGCONT")
            leader.stopped = false
          }
          this.controllerBusy = false
        })
        return true
      }
      case "killEtcd": {
        if (this.etcdBusy) return false
        const index = rng.int(0, stack.etcd.members.length - 1)
        const downMs = rng.int(1_000, 6_000)
        this.etcdBusy = true
        this.record(kind, `member ${stack.etcd.members[index]!.name}, restarted after ${downMs} ms`)
        await stack.etcd.kill(index)
        this.background(async () => {
          await sleep(downMs)
          await stack.etcd.restart(index)
          this.etcdBusy = false
        })
        return true
      }
      case "http5xx":
        this.record(
          kind,
          await this.fault({
            route: "/v2",
            ...(rng.chance(0.5)
              ? { status: rng.pick([500, 502, 503]) }
              : { error: rng.pick(["unavailable", "leaderRefused", "timeout", "tooManyRequests"]) }),
            times: rng.int(3, 20),
            probability: 0.5
          })
        )
        return true
      case "writes5xx":
        this.record(
          kind,
          await this.fault({
            route: "/v2",
            method: rng.pick(["POST", "DELETE", "PATCH", "PUT"]),
            error: "unavailable",
            times: rng.int(1, 6)
          })
        )
        return true
      case "latency":
        this.record(
          kind,
          await this.fault({
            route: rng.pick(["/v2/apps", "/v2", "/v2/tasks"]),
            latencyMs: rng.int(200, 2_500),
            jitterMs: 300,
            times: rng.int(5, 40)
          })
        )
        return true
      case "sseDrop":
        this.record(kind, await this.fault(rng.chance(0.5) ? { sse: "disconnect" } : { sse: "drop", times: rng.int(5, 50) }))
        return true
      case "sseSilent": {
        // Open streams go quiet for good (no bytes, connection open): only silence detection helps.
        const answer = await call(`${stack.sim.url}/__sim/faults`, "POST", { sse: "silent" })
        if (answer.status !== 200) throw new Error(`silence event streams: ${answer.status} ${answer.body}`)
        this.record(kind, answer.body)
        return true
      }
      case "clockSkew": {
        // Marathon's task timestamps run behind or ahead of the controllers' clocks for a while.
        const seconds = rng.pick([-30, -15, 15, 30])
        await this.skew(seconds)
        this.record(kind, `task timestamps ${seconds} s off`)
        this.background(async () => {
          await sleep(rng.int(10_000, 40_000))
          await this.skew(0)
        })
        return true
      }
      case "emptyList":
        this.record(kind, await this.fault({ route: "/v2/apps", method: "GET", answer: "empty", times: rng.int(1, 3) }))
        return true
      case "noTasks":
        this.record(kind, await this.fault({ route: "/v2/apps", method: "GET", answer: "noTasks", times: rng.int(1, 3) }))
        return true
    }
  }

  /** Injects faults every `minMs`–`maxMs` until `until` (performance.now()). */
  async run(until: number, minMs: number, maxMs: number): Promise<void> {
    while (performance.now() < until) {
      await sleep(Math.min(this.rng.int(minMs, maxMs), Math.max(0, until - performance.now())))
      if (performance.now() >= until) break
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await this.inject(this.rng.pick(faultKinds)).catch((error: unknown) => (this.log(`fault failed: ${String(error)}`), true))) {
          break
        }
      }
    }
  }

  /** No more faults: clears the emulator's, waits for every restart, wakes and starts every controller. */
  async calm(): Promise<void> {
    await call(`${this.stack.sim.url}/__sim/faults`, "DELETE")
    await this.skew(0)
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
    for (const [index, member] of this.stack.etcd.members.entries()) if (member.process === undefined) await this.stack.etcd.restart(index)
    for (const slot of this.stack.slots) {
      if (slot.stopped) slot.proc?.kill("SIGCONT")
      if (slot.proc === undefined || slot.proc.exitCode !== null || slot.proc.signalCode !== null) await this.stack.startSlot(slot)
    }
  }
}
