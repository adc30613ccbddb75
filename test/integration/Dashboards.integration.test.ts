import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { parse } from "yaml"
import { OtlpReceiver } from "../../src/telemetry/OtlpReceiver.ts"
import { repoRoot } from "../harness/cli.ts"
import { panels, promExprs, toPromQL } from "../harness/dashboards.ts"
import type { RunningPrometheus } from "../harness/prometheus.ts"
import { freePort, startPrometheus } from "../harness/prometheus.ts"
import type { SpanmetricsExposition } from "../harness/spanmetricsExposition.ts"
import { durationMs, startSpanmetricsExposition } from "../harness/spanmetricsExposition.ts"
import type { Stack } from "../harness/stack.ts"
import { manifest, rolledOut, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// Every panel of every dashboard in deploy/dashboards/, run by a real Prometheus against a real
// controller that has done a bounce: each PromQL expression must parse and return data.
//
// The controller serves /metrics on --metrics-addr (scraped every second) and exports its spans
// over OTLP to an in-test receiver. No collector runs here, so the spanmetrics connector's series
// (traces_span_metrics_*) come from a stand-in (harness/spanmetricsExposition.ts) that turns those
// same exported spans into the connector's names, labels and buckets: the Collector panels are
// run on real spans, only the connector's arithmetic is the test's.

let stack: Stack
let prometheus: RunningPrometheus | undefined
let exposition: SpanmetricsExposition | undefined
const receiverScope = Scope.makeUnsafe()

beforeAll(async () => {
  stack = await startStack({ label: "dashboards" })
  const collector = parse(readFileSync(join(repoRoot, "deploy", "otel", "otel-collector.yaml"), "utf8"))
  exposition = await startSpanmetricsExposition(
    (collector.connectors.spanmetrics.histogram.explicit.buckets as Array<string>).map(durationMs)
  )
  const feed = exposition.receive
  const receiver = Context.get(
    await Effect.runPromise(Layer.buildWithScope(OtlpReceiver.layer({ port: 0, output: feed }), receiverScope)),
    OtlpReceiver
  )
  const metricsPort = await freePort()
  await stack.startController(["--metrics-addr", `127.0.0.1:${metricsPort}`], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRICS_EXPORTER: "none",
    // Spans reach the receiver within a fraction of a second rather than the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: "200"
  })
  prometheus = await startPrometheus({ "mdeploy-controller": `127.0.0.1:${metricsPort}`, spanmetrics: exposition.target })
}, 120_000)

afterAll(async () => {
  await prometheus?.close()
  await stack?.close()
  await Effect.runPromise(Scope.close(receiverScope, Exit.void))
  await exposition?.close()
})

const web = (image: string) => ({
  image,
  instances: 2,
  ports: [8080],
  healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1 },
  bounce: { method: "crossover" },
  drain: { method: "test", params: { delay: 0.2 } }
})

/** The first sample's value of an instant query, once it has one. */
const scalar = async (expr: string): Promise<number | undefined> => {
  const answer = await prometheus!.query(expr)
  const value = answer.data?.result[0]?.value?.[1]
  return value === undefined ? undefined : Number(value)
}

describe("dashboards against a real Prometheus", () => {
  it("a bounce (apply, then a new image) is counted by the controller and scraped by Prometheus", async () => {
    const name = "dash.main"
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("web:1")))).code, 0)
    await rolledOut(stack, name, 1, 90_000)
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("web:2")))).code, 0)
    await rolledOut(stack, name, 2, 90_000)

    // Both generations, seen begin and end by the leader, counted Succeeded with their durations.
    await waitUntil(
      "Prometheus to scrape two succeeded rollouts",
      async () => ((await scalar("sum(mdeploy_rollouts_total{result=\"Succeeded\"})")) ?? 0) >= 2,
      { timeoutMs: 60_000, intervalMs: 500 }
    )
    assert.strictEqual(await scalar("sum(mdeploy_rollout_duration_seconds_count)"), 2)
    assert.strictEqual(await scalar("sum(mdeploy_rollouts_in_progress)"), 0)
    assert.isAbove((await scalar("sum(mdeploy_span_duration_seconds_count{span_name=\"Executor.createApp\"})")) ?? 0, 0)
    await waitUntil("the controller's spans to reach the spanmetrics stand-in", () => exposition!.spans() > 0, { timeoutMs: 30_000 })
  }, 240_000)

  it("every PromQL expression of every panel of every dashboard parses and returns data", async () => {
    const exprs = promExprs()
    assert.includeMembers([...new Set(exprs.map((entry) => entry.file))], ["mdeploy-controller.json", "mdeploy-rollouts.json"])
    // Parsing does not wait for data: a syntax error is an error answer at once.
    for (const { file, title, expr } of exprs) {
      const answer = await prometheus!.query(toPromQL(expr))
      assert.strictEqual(answer.status, "success", `${file} "${title}": ${answer.error ?? ""}\n${expr}`)
    }
    // Data: rates need two scrapes of a series, so wait until every expression has some.
    const empty = async () => {
      const missing: Array<string> = []
      for (const { file, title, expr } of exprs) {
        const answer = await prometheus!.query(toPromQL(expr))
        if ((answer.data?.result.length ?? 0) === 0) missing.push(`${file} "${title}": ${expr}`)
      }
      return missing
    }
    let missing: Array<string> = []
    await waitUntil("every panel to return data", async () => (missing = await empty()).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 1_000
    })
      .catch((error) => assert.fail(`${String(error)}\npanels without data:\n${missing.join("\n")}`))
  }, 180_000)

  it("the Tempo panel is a TraceQL trace search over mdeploy's service (shape only: no Tempo runs here)", () => {
    const tempo = panels().filter((panel) => panel.datasource?.type === "tempo")
    assert.strictEqual(tempo.length, 1)
    const [panel] = tempo
    assert.strictEqual(panel!.file, "mdeploy-rollouts.json")
    assert.deepStrictEqual(panel!.datasource, { type: "tempo", uid: "${tempo}" })
    const target = panel!.targets![0]!
    assert.strictEqual(target["queryType"], "traceql")
    assert.strictEqual(target["tableType"], "traces")
    assert.match(String(target["query"]), /^\{ resource\.service\.name = "mdeploy-controller"/)
  })
})
