// Pure: which instances `mdeploy_rollout_last_duration_seconds` shows, the `capacity` whose last
// successful rollout took longest. One series per instance made every scrape serialise the whole
// fleet (about 40 ms of CPU and 740 KB per scrape at 10,000 instances); what the series are for,
// naming the slowest instances (the dashboards' topk), needs only the top of the list. Every
// instance's latest duration is kept (a number each), so an instance that leaves the top is
// replaced by the next slowest, never by nothing.

export interface SeriesChanges {
  /** Series to set (new, or a new value). */
  readonly set: ReadonlyArray<readonly [string, number]>
  /** Series to remove. */
  readonly removed: ReadonlyArray<string>
}

export class SlowestRollouts {
  private readonly latest = new Map<string, number>()
  private readonly shown = new Set<string>()

  readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  /** The instances shown now, with their durations. */
  current(): ReadonlyArray<readonly [string, number]> {
    return [...this.shown].map((name) => [name, this.latest.get(name)!] as const)
  }

  /** A successful rollout of `name` that took `seconds`. */
  record(name: string, seconds: number): SeriesChanges {
    const previous = this.latest.get(name)
    this.latest.set(name, seconds)
    if (this.shown.has(name)) {
      // Shorter than before: a hidden instance may now be slower than it.
      const challenger = previous !== undefined && seconds < previous ? this.slowestHidden() : undefined
      if (challenger !== undefined && challenger[1] > seconds) {
        this.shown.delete(name)
        this.shown.add(challenger[0])
        return { set: [challenger], removed: [name] }
      }
      return { set: [[name, seconds]], removed: [] }
    }
    if (this.shown.size < this.capacity) {
      this.shown.add(name)
      return { set: [[name, seconds]], removed: [] }
    }
    const fastest = this.fastestShown()
    if (fastest === undefined || seconds <= fastest[1]) return { set: [], removed: [] }
    this.shown.delete(fastest[0])
    this.shown.add(name)
    return { set: [[name, seconds]], removed: [fastest[0]] }
  }

  /** `name`'s spec was deleted: its series goes, and the next slowest takes its place. */
  forget(name: string): SeriesChanges {
    this.latest.delete(name)
    if (!this.shown.delete(name)) return { set: [], removed: [] }
    const next = this.slowestHidden()
    if (next === undefined) return { set: [], removed: [name] }
    this.shown.add(next[0])
    return { set: [next], removed: [name] }
  }

  private fastestShown(): readonly [string, number] | undefined {
    let fastest: readonly [string, number] | undefined
    for (const name of this.shown) {
      const seconds = this.latest.get(name)!
      if (fastest === undefined || seconds < fastest[1]) fastest = [name, seconds]
    }
    return fastest
  }

  private slowestHidden(): readonly [string, number] | undefined {
    let slowest: readonly [string, number] | undefined
    for (const [name, seconds] of this.latest) {
      if (this.shown.has(name)) continue
      if (slowest === undefined || seconds > slowest[1]) slowest = [name, seconds]
    }
    return slowest
  }
}
