import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Option } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import * as WorkQueue from "../src/controller/WorkQueue.ts"
import * as ControllerMetrics from "../src/telemetry/ControllerMetrics.ts"
import { Telemetry } from "../src/telemetry/Telemetry.ts"

// deploy/ is what operators copy: keep it honest against the code.
const root = join(import.meta.dirname, "..")

describe("deploy/", () => {
  it.live("every series a dashboard queries is recorded by the controller's metric code and served to Prometheus", () =>
    Effect.gen(function*() {
      const dashboard = JSON.parse(readFileSync(join(root, "deploy", "dashboards", "mdeploy-controller.json"), "utf8"))
      // Each queried series: its exposition name (a histogram's `_bucket` included) and label matchers.
      const queried: Array<{ readonly series: string; readonly labels: ReadonlyArray<string> }> = []
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          for (const match of (target.expr as string).matchAll(/\b((?:mdeploy|workqueue|leader_election)_[a-z_]+)(\{[^}]*\})?/g)) {
            queried.push({ series: match[1]!, labels: [...(match[2] ?? "").matchAll(/\w+="[^"]*"/g)].map((label) => label[0]) })
          }
        }
      }
      assert.isAbove(queried.length, 5)

      // One pass of what a controller records: startup zeroes, a reconcile, a Marathon call, a
      // worker run, leadership, and a work-queue key that is handed out, retried and finished.
      const { metricsUrl } = yield* Telemetry
      yield* ControllerMetrics.initialize(2)
      yield* ControllerMetrics.recordReconcile("success", 0.02)
      yield* ControllerMetrics.recordMarathonRequest("GET /v2/apps", 200, 0.004)
      yield* ControllerMetrics.withActiveWorker(Effect.void)
      yield* Metric.update(ControllerMetrics.leaderStatus, 1)
      const queue = yield* WorkQueue.make()
      yield* queue.add("web.main")
      const key = Option.getOrThrow(yield* queue.get)
      yield* queue.addAfter(key, "1 millis")
      yield* queue.done(key)
      yield* queue.snapshot

      const text = yield* Effect.promise(() => fetch(Option.getOrThrow(metricsUrl)).then((response) => response.text()))
      const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
      for (const { series, labels } of queried) {
        const recorded = samples.some((line) => {
          const [, name, labelText] = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?/.exec(line) ?? []
          return name === series && labels.every((label) => (labelText ?? "").includes(label))
        })
        assert.isTrue(recorded, `${series}{${labels.join(",")}} is not in the scrape:\n${samples.join("\n")}`)
      }
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr: "127.0.0.1:0", installLogger: false }))))

  it("the controller's Marathon app definition and collector config parse", () => {
    const app = JSON.parse(readFileSync(join(root, "deploy", "marathon", "mdeploy-controller.json"), "utf8"))
    assert.strictEqual(app.id, "/mdeploy-controller")
    assert.isUndefined(app.labels?.MDEPLOY_MANAGED, "mdeploy must never manage (and so bounce) itself")
    const collector = parse(readFileSync(join(root, "deploy", "otel", "otel-collector.yaml"), "utf8"))
    assert.deepStrictEqual(Object.keys(collector.service.pipelines).sort(), ["metrics", "traces"])
  })
})
