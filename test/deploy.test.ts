import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"

// deploy/ is what operators copy: keep it honest against the code.
const root = join(import.meta.dirname, "..")
const sources = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"))
    .join("\n")

describe("deploy/", () => {
  it("dashboards query only metrics the controller records", () => {
    const code = sources(join(root, "src"))
    const dashboard = JSON.parse(readFileSync(join(root, "deploy", "dashboards", "mdeploy-controller.json"), "utf8"))
    const metrics = new Set<string>()
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        for (const match of (target.expr as string).matchAll(/\b((?:mdeploy|workqueue|leader_election)_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)) metrics.add(match[1]!)
      }
    }
    assert.isAbove(metrics.size, 5)
    for (const metric of metrics) assert.include(code, `"${metric}"`, `${metric} is not defined in src/`)
  })

  it("the controller's Marathon app definition and collector config parse", () => {
    const app = JSON.parse(readFileSync(join(root, "deploy", "marathon", "mdeploy-controller.json"), "utf8"))
    assert.strictEqual(app.id, "/mdeploy-controller")
    assert.isUndefined(app.labels?.MDEPLOY_MANAGED, "mdeploy must never manage (and so bounce) itself")
    const collector = parse(readFileSync(join(root, "deploy", "otel", "otel-collector.yaml"), "utf8"))
    assert.deepStrictEqual(Object.keys(collector.service.pipelines).sort(), ["metrics", "traces"])
  })
})
