// The shape every benchmark returns. bench/run.ts runs each benchmark module, writes
// bench/results/<name>.json and prints one Markdown table over all rows.

/** One measured figure, shown beside the raw floor measured in the same run. */
export interface BenchRow {
  readonly metric: string
  readonly value: number
  readonly unit: string
  /** The same operation done by the bare tool (bare etcd client, bare HTTP), when one applies. */
  readonly floor?: number
  /** Human-readable goal, e.g. "<= 2x floor" or "< 500 ms". */
  readonly goal?: string
  /** Whether the goal is met; absent when the row has no goal. */
  readonly met?: boolean
  readonly note?: string
}

export interface BenchReport {
  readonly name: string
  readonly rows: ReadonlyArray<BenchRow>
  /** Free-form facts about the run: sizes, sample counts, machine noise seen. */
  readonly details?: Record<string, unknown>
}

/** A benchmark module's default export. */
export type Bench = () => Promise<BenchReport>
