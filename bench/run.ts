// `make bench`: runs each benchmark in turn (or those named on the command line), writes
// bench/results/<name>.json and prints one Markdown table: value, floor, ratio, goal, met.
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Bench, BenchReport } from "./BenchReport.ts"

// In the order `make bench` runs them; `node bench/run.ts reaction steady` runs a subset.
const benches: Record<string, () => Promise<{ default: Bench }>> = {
  apply: () => import("./applyThroughput.ts"),
  sim: () => import("./simThroughput.ts"),
  reaction: () => import("./reactionLatency.ts"),
  bounce: () => import("./bounceStep.ts"),
  rollout: () => import("./massRollout.ts"),
  steady: () => import("./steadyState.ts"),
  failover: () => import("./failover.ts"),
  gitops: () => import("./gitopsWebhook.ts"),
  "gitops-rollout": () => import("./gitopsRollout.ts")
}

const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(benches)
const resultsDir = join(import.meta.dirname, "results")
mkdirSync(resultsDir, { recursive: true })

const reports: Array<BenchReport> = []
for (const name of selected) {
  const load = benches[name]
  if (load === undefined) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(benches).join(", ")}\n`)
    process.exit(2)
  }
  process.stderr.write(`==> ${name}\n`)
  const started = performance.now()
  const report = await (await load()).default()
  const seconds = (performance.now() - started) / 1000
  reports.push(report)
  writeFileSync(join(resultsDir, `${report.name}.json`), `${JSON.stringify({ ...report, seconds }, null, 2)}\n`)
  process.stderr.write(`    ${report.name}: ${seconds.toFixed(1)} s\n`)
}

const format = (value: number | undefined) =>
  value === undefined ? "" : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2)

const lines = [
  "| benchmark | metric | value | floor | ratio | goal | met |",
  "|---|---|---|---|---|---|---|"
]
for (const report of reports) {
  for (const row of report.rows) {
    const ratio = row.floor !== undefined && row.floor > 0 ? `${(row.value / row.floor).toFixed(2)}×` : ""
    const met = row.met === undefined ? "" : row.met ? "yes" : "**no**"
    lines.push(
      `| ${report.name} | ${row.metric} | ${format(row.value)} ${row.unit} | ${
        row.floor === undefined ? "" : `${format(row.floor)} ${row.unit}`
      } | ${ratio} | ${row.goal ?? ""} | ${met} |`
    )
  }
}
process.stdout.write(`\n${lines.join("\n")}\n`)
