import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { BenchReport } from "../../bench/BenchReport.ts"

// Keeps the benchmarks from rotting: each controller benchmark runs once at a tiny size against a
// real etcd, the emulator and real controller processes, and must produce well-formed rows. Timing
// is never asserted here; `make bench` is where numbers mean something.

const benchDir = join(import.meta.dirname, "..", "..", "bench")

const wellFormed = (report: BenchReport, name: string) => {
  expect(report.name).toMatch(name)
  expect(report.rows.length).toBeGreaterThan(0)
  for (const row of report.rows) {
    expect(row.metric.length, JSON.stringify(row)).toBeGreaterThan(0)
    expect(row.unit.length, row.metric).toBeGreaterThan(0)
    expect(Number.isFinite(row.value), `${row.metric}: value ${row.value}`).toBe(true)
    if (row.floor !== undefined) expect(Number.isFinite(row.floor), `${row.metric}: floor ${row.floor}`).toBe(true)
    // A goal always comes with its verdict, and a verdict never without a goal.
    expect(row.goal === undefined, row.metric).toBe(row.met === undefined)
    if (row.met !== undefined) expect(typeof row.met).toBe("boolean")
  }
  // The runner writes the report as JSON: it must survive the round trip.
  expect(JSON.parse(JSON.stringify(report))).toEqual(JSON.parse(JSON.stringify(report)))
}

describe("benchmarks at a tiny size", () => {
  it("the runner knows every benchmark", () => {
    const result = spawnSync(process.execPath, [join(benchDir, "run.ts"), "no-such-benchmark"], { encoding: "utf8" })
    expect(result.status).toBe(2)
    for (const name of ["apply", "sim", "reaction", "bounce", "rollout", "steady", "failover"]) expect(result.stderr).toContain(name)
  })

  it("reaction latency", async () => {
    const { run } = await import("../../bench/reactionLatency.ts")
    wellFormed(await run({ instances: 20, changes: 5, probeList: true }), "reaction-latency-20")
  }, 60_000)

  it("bounce step", async () => {
    const { run } = await import("../../bench/bounceStep.ts")
    const report = await run({ instances: 10, bounced: 2, tasks: 2 })
    wellFormed(report, "bounce-step-10")
    expect(report.details?.["samplesMs"]).toHaveLength(4)
  }, 60_000)

  it("mass rollout, shipped and with the write limit lifted", async () => {
    const { run } = await import("../../bench/massRollout.ts")
    const report = await run({ instances: 20, tasks: 1, workers: 4, liftedQps: 1_000 })
    wellFormed(report, "mass-rollout-20")
    expect(report.rows).toHaveLength(4)
  }, 60_000)

  it("steady state", async () => {
    const { run } = await import("../../bench/steadyState.ts")
    const report = await run({ sizes: [{ instances: 20, resyncSeconds: 1 }, { instances: 40, resyncSeconds: 1 }], cycles: 1 })
    wellFormed(report, "steady-state")
    // Per size: lists, writes, CPU, RSS and a new leader's initial sync; and the edits made during
    // that sync when the sync lasted long enough for one.
    for (const size of ["20", "40"]) {
      const rows = report.rows.filter((row) => new RegExp(`\\b${size}\\b`).test(row.metric))
      expect(rows.length, size).toBeGreaterThanOrEqual(5)
      expect(rows.length, size).toBeLessThanOrEqual(6)
    }
  }, 120_000)

  it("failover", async () => {
    const { run } = await import("../../bench/failover.ts")
    wellFormed(await run({ instances: 10, rounds: 1, leaderTtl: 2 }), "failover")
  }, 60_000)

  it("the other modules still load", async () => {
    for (const module of ["applyThroughput.ts", "simThroughput.ts"]) {
      const loaded = (await import(join(benchDir, module))) as { default?: unknown }
      expect(typeof loaded.default, module).toBe("function")
    }
  })
})
