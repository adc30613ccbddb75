// A min-heap of timers ordered by due time, then by insertion order, so that timers due at the
// same instant always run in the order they were scheduled (the emulator must be deterministic).
// It only orders callbacks; SimClock decides when "now" moves.

export class Timer {
  readonly due: number
  readonly seq: number
  readonly run: () => void
  cancelled = false

  constructor(due: number, seq: number, run: () => void) {
    this.due = due
    this.seq = seq
    this.run = run
  }

  cancel(): void {
    this.cancelled = true
  }
}

export class TimerQueue {
  private readonly heap: Array<Timer> = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(due: number, run: () => void): Timer {
    const timer = new Timer(due, this.seq++, run)
    const heap = this.heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(timer, heap[parent]!)) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = timer
    return timer
  }

  /** The earliest live timer, dropping cancelled ones on the way. */
  peek(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop()
    return this.heap[0]
  }

  pop(): Timer | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    let i = 0
    const n = heap.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l
      if (!before(heap[c]!, last)) break
      heap[i] = heap[c]!
      i = c
    }
    heap[i] = last
    return top
  }

  clear(): void {
    this.heap.length = 0
  }
}

const before = (a: Timer, b: Timer): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq)
