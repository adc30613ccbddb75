// The Grafana dashboards of deploy/dashboards/, read the way the tests check them: every PromQL
// expression of every panel, the series each one reads, and the expression with Grafana's
// variables replaced so that Prometheus itself can run it.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./cli.ts"

export const dashboardsDir = join(repoRoot, "deploy", "dashboards")

export interface Panel {
  readonly title: string
  readonly type: string
  readonly datasource?: { readonly type?: string; readonly uid?: string }
  readonly targets?: ReadonlyArray<Record<string, unknown>>
}

export interface PanelExpr {
  readonly file: string
  readonly title: string
  readonly expr: string
}

export const dashboards = (): ReadonlyArray<{ readonly file: string; readonly json: any }> =>
  readdirSync(dashboardsDir).filter((file) => file.endsWith(".json")).sort().map((file) => ({
    file,
    json: JSON.parse(readFileSync(join(dashboardsDir, file), "utf8"))
  }))

/** Every panel with a query (rows have none), of every dashboard. */
export const panels = (): ReadonlyArray<Panel & { readonly file: string }> =>
  dashboards().flatMap(({ file, json }) =>
    (json.panels as Array<Panel>).filter((panel) => panel.type !== "row").map((panel) => ({ ...panel, file }))
  )

/** The PromQL expressions of every Prometheus panel of every dashboard (Tempo panels have TraceQL). */
export const promExprs = (): ReadonlyArray<PanelExpr> =>
  panels().filter((panel) => panel.datasource?.type !== "tempo").flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ file: panel.file, title: panel.title, expr: String(target["expr"]) }))
  )

const keywords = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan"
])

/** Each series an expression reads (a histogram's `_bucket` included) with its `=` and `=~` matchers. */
export const seriesOf = (expr: string): ReadonlyArray<{ readonly series: string; readonly labels: ReadonlyArray<string> }> => {
  // Grafana variables, and the label lists of `by (…)` and friends, are not series.
  const text = expr.replace(/\$\{?\w+\}?/g, "0").replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
  return [...text.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])\s*(\{[^}]*\})?(?!\s*\()/g)]
    .filter((match) => !keywords.has(match[1]!.toLowerCase()))
    .map((match) => ({ series: match[1]!, labels: [...(match[2] ?? "").matchAll(/(\w+)(=~|=)"([^"]*)"/g)].map((label) => label[0]) }))
}

/** Whether a sample's label text (`{a="x",b="y"}`) satisfies a matcher `name="value"` or `name=~"regex"`. */
export const satisfies = (labelText: string, matcher: string): boolean => {
  const [, name, op, value] = /^(\w+)(=~|=)"(.*)"$/.exec(matcher)!
  const actual = new RegExp(`[{,]${name}="([^"]*)"`).exec(labelText)?.[1]
  return actual !== undefined && (op === "=" ? actual === value : new RegExp(`^(?:${value})$`).test(actual))
}

// What Grafana puts in for its built-in variables when a panel runs over a short time range
// (a test's Prometheus holds minutes of data at 1 s resolution); dashboard variables that select
// a target match every one.
const substitutions: ReadonlyArray<readonly [RegExp, string]> = [
  [/\$__rate_interval\b/g, "1m"],
  [/\$__interval\b/g, "15s"],
  [/\$__range_s\b/g, "3600"],
  [/\$__range_ms\b/g, "3600000"],
  [/\$__range\b/g, "1h"],
  [/\$\{?(?:instance|job|namespace|pod)\}?/g, ".*"]
]

/** The expression as Prometheus would receive it from Grafana; fails on a variable it does not know. */
export const toPromQL = (expr: string): string => {
  const result = substitutions.reduce((text, [pattern, value]) => text.replace(pattern, value), expr)
  const unknown = /\$\{?\w+\}?/.exec(result)
  if (unknown !== null) throw new Error(`unknown Grafana variable ${unknown[0]} in ${expr}`)
  return result
}
