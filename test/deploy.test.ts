import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Option } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse } from "yaml"
import * as WorkQueue from "../src/controller/WorkQueue.ts"
import * as ControllerMetrics from "../src/telemetry/ControllerMetrics.ts"
import * as RolloutMetrics from "../src/telemetry/RolloutMetrics.ts"
import { Telemetry } from "../src/telemetry/Telemetry.ts"
import type { Panel } from "./harness/dashboards.ts"
import { promExprs, satisfies, seriesOf } from "./harness/dashboards.ts"

// deploy/ is what operators copy: keep it honest against the code.
const root = join(import.meta.dirname, "..")

// What the collector's spanmetrics connector exports to Prometheus (names since collector v0.109).
const connectorSeries = [
  "traces_span_metrics_calls_total",
  "traces_span_metrics_duration_milliseconds_bucket",
  "traces_span_metrics_duration_milliseconds_sum",
  "traces_span_metrics_duration_milliseconds_count"
]

describe("deploy/", () => {
  it("every dashboard series comes from mdeploy's /metrics or the collector's spanmetrics connector", () => {
    const names = new Set(promExprs().flatMap(({ expr }) => seriesOf(expr).map(({ series }) => series)))
    const foreign = [...names].filter((name) => !/^(?:mdeploy|workqueue|leader_election)_/.test(name) && !connectorSeries.includes(name))
    assert.deepStrictEqual(foreign, [], "series neither mdeploy nor the spanmetrics connector exports")
    // The connector's series are only there when the collector wires it (checked below).
    assert.isTrue([...names].some((name) => connectorSeries.includes(name)))
    // And carry only the connector's labels (no extra dimensions are configured).
    const connectorLabels = ["service_name", "span_name", "span_kind", "status_code"]
    for (const { expr } of promExprs()) {
      for (const match of expr.matchAll(/traces_span_metrics_\w+\{([^}]*)\}/g)) {
        for (const [, label] of match[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) assert.include(connectorLabels, label, expr)
      }
    }
  })

  it.live("every mdeploy series a dashboard queries is recorded by the controller's metric code and served to Prometheus", () =>
    Effect.gen(function*() {
      // Each queried series: its exposition name (a histogram's `_bucket` included) and label matchers.
      const queried = promExprs().flatMap(({ expr }) => seriesOf(expr)).filter(({ series }) => !connectorSeries.includes(series))
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
      // A rollout and the spans of a pass (the span processor is on: metrics are exported).
      yield* RolloutMetrics.initialize
      yield* RolloutMetrics.setInProgress(1)
      yield* RolloutMetrics.recordRollout("Succeeded", 42)
      yield* RolloutMetrics.showSlowest({ set: [["web.main", 42]], removed: [] })
      for (const name of ["Reconciler.reconcile", "Plan.make", "Executor.createApp", "MarathonClient.createApp"]) {
        yield* Effect.void.pipe(Effect.withSpan(name))
      }

      const text = yield* Effect.promise(() => fetch(Option.getOrThrow(metricsUrl)).then((response) => response.text()))
      const samples = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
      for (const { series, labels } of queried) {
        const recorded = samples.some((line) => {
          const [, name, labelText] = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?/.exec(line) ?? []
          return name === series && labels.every((label) => satisfies(labelText ?? "", label))
        })
        assert.isTrue(recorded, `${series}{${labels.join(",")}} is not in the scrape:\n${samples.join("\n")}`)
      }
    }).pipe(
      Effect.scoped,
      Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr: "127.0.0.1:0", installLogger: false }))
    ))

  it("the controller's Marathon app definition and collector config parse", () => {
    const app = JSON.parse(readFileSync(join(root, "deploy", "marathon", "mdeploy-controller.json"), "utf8"))
    assert.strictEqual(app.id, "/mdeploy-controller")
    assert.isUndefined(app.labels?.MDEPLOY_MANAGED, "mdeploy must never manage (and so bounce) itself")
    const collector = parse(readFileSync(join(root, "deploy", "otel", "otel-collector.yaml"), "utf8"))
    assert.deepStrictEqual(Object.keys(collector.service.pipelines).sort(), ["metrics", "traces"])
  })

  it("the collector's spanmetrics connector is fed by a traces pipeline and feeds a metrics pipeline", () => {
    const collector = parse(readFileSync(join(root, "deploy", "otel", "otel-collector.yaml"), "utf8"))
    assert.isObject(collector.connectors?.spanmetrics, "connectors.spanmetrics is defined")
    const pipelines = Object.entries(
      collector.service.pipelines as Record<string, { receivers?: Array<string>; exporters?: Array<string> }>
    )
    // Pipeline ids are `type` or `type/name`.
    const ofType = (type: string) => pipelines.filter(([id]) => id.split("/")[0] === type).map(([, pipeline]) => pipeline)
    assert.isTrue(
      ofType("traces").some((pipeline) => pipeline.exporters?.includes("spanmetrics")),
      "a traces pipeline exports to spanmetrics"
    )
    assert.isTrue(
      ofType("metrics").some((pipeline) => pipeline.receivers?.includes("spanmetrics")),
      "a metrics pipeline receives from spanmetrics"
    )
    // Every metrics pipeline that receives it exports somewhere: the connector's series reach Prometheus.
    for (const pipeline of ofType("metrics").filter((candidate) => candidate.receivers?.includes("spanmetrics"))) {
      assert.isAbove(pipeline.exporters?.length ?? 0, 0)
      for (const exporter of pipeline.exporters ?? []) assert.property(collector.exporters, exporter)
    }
  })

  it("the rollouts dashboard has a Tempo trace search over mdeploy's service", () => {
    const dashboard = JSON.parse(readFileSync(join(root, "deploy", "dashboards", "mdeploy-rollouts.json"), "utf8"))
    const tempo = (dashboard.panels as Array<Panel>).filter((panel) => panel.datasource?.type === "tempo")
    assert.strictEqual(tempo.length, 1)
    const target = tempo[0]!.targets![0]!
    assert.strictEqual(target["queryType"], "traceql")
    assert.match(String(target["query"]), /resource\.service\.name = "mdeploy-controller"/)
    assert.deepStrictEqual(dashboard.templating.list.map((variable: { name: string }) => variable.name), ["datasource", "tempo"])
  })
})
