// Seeded identifiers: UUIDs for instances (v1 layout, as Marathon uses) and deployments (v4
// layout). A fixed seed gives the same ids on every run, which keeps the emulator deterministic.

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0").slice(-width)

export class IdSource {
  private state: number
  private counter = 0

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /** mulberry32: small, fast, good enough for ids and tie-breaking. */
  random(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  private word(): number {
    return Math.floor(this.random() * 0x100000000)
  }

  /** A version-4 layout UUID (deployment ids). */
  uuid4(): string {
    const a = this.word(), b = this.word(), c = this.word(), d = this.word()
    return [hex(a, 8), hex(b >>> 16, 4), "4" + hex(b & 0xfff, 3), hex(0x8000 | (c >>> 18), 4), hex(c & 0xffff, 4) + hex(d, 8)].join("-")
  }

  /** A version-1 layout UUID from the clock (instance ids look like Marathon's). */
  uuid1(nowMs: number): string {
    // 100 ns intervals since 1582-10-15; the counter keeps ids unique within one millisecond.
    const ticks = BigInt(nowMs) * 10000n + 122192928000000000n + BigInt(this.counter++ % 10000)
    const low = Number(ticks & 0xffffffffn)
    const mid = Number((ticks >> 32n) & 0xffffn)
    const high = Number((ticks >> 48n) & 0x0fffn) | 0x1000
    const node = this.word()
    // join() yields flat strings; template literals would leave rope nodes in 30,000 ids.
    return [hex(low, 8), hex(mid, 4), hex(high, 4), hex(0x8000 | (node >>> 18), 4), hex(node & 0xffff, 4) + hex(this.word(), 8)].join("-")
  }
}
