// The emulator's only source of time. The state model never reads the wall clock: it asks
// SimClock for `now` and schedules callbacks on it. "virtual" time moves only through
// advance(), so a 300 s grace period takes microseconds in a test; "real" time follows the wall
// clock with a single node timer armed for the earliest due callback.
import { TimerQueue } from "./TimerQueue.ts"

export type ClockMode = "real" | "virtual"

export interface TimerHandle {
  cancel(): void
}

export class SimClock {
  readonly mode: ClockMode
  private readonly queue = new TimerQueue()
  private virtualNow: number
  private armed: ReturnType<typeof setTimeout> | undefined
  private armedFor = Infinity
  private running = false
  private disposed = false

  constructor(mode: ClockMode, startTime: number) {
    this.mode = mode
    this.virtualNow = startTime
  }

  now(): number {
    return this.mode === "virtual" ? this.virtualNow : Date.now()
  }

  /** Runs `run` once `delayMs` have passed on this clock (0 = at the next turn). */
  schedule(delayMs: number, run: () => void): TimerHandle {
    const timer = this.queue.push(this.now() + Math.max(0, delayMs), run)
    if (this.mode === "real") this.arm()
    return timer
  }

  /** Moves virtual time forward, running every callback that falls due, in order. */
  advance(ms: number): number {
    if (this.mode !== "virtual") throw new Error("advance() needs the virtual clock")
    const target = this.virtualNow + Math.max(0, ms)
    for (;;) {
      const next = this.queue.peek()
      if (next === undefined || next.due > target) break
      this.queue.pop()
      if (next.due > this.virtualNow) this.virtualNow = next.due
      next.run()
    }
    this.virtualNow = target
    return target
  }

  /** Number of pending callbacks (for the state endpoint and tests). */
  get pending(): number {
    return this.queue.size
  }

  dispose(): void {
    this.disposed = true
    this.queue.clear()
    if (this.armed !== undefined) clearTimeout(this.armed)
    this.armed = undefined
  }

  private arm(): void {
    if (this.disposed || this.running) return
    const next = this.queue.peek()
    if (next === undefined || next.due >= this.armedFor) return
    if (this.armed !== undefined) clearTimeout(this.armed)
    this.armedFor = next.due
    this.armed = setTimeout(() => this.fire(), Math.max(0, next.due - Date.now()))
  }

  private fire(): void {
    this.armed = undefined
    this.armedFor = Infinity
    this.running = true
    try {
      for (;;) {
        const next = this.queue.peek()
        if (next === undefined || next.due > Date.now() || this.disposed) break
        this.queue.pop()
        next.run()
      }
    } finally {
      this.running = false
      this.arm()
    }
  }
}
