import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Metric, Option } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as ControllerMetrics from "../../src/telemetry/ControllerMetrics.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"

const telemetry = (metricsAddr: string) => Telemetry.layer({ serviceName: "mdeploy-test", metricsAddr, installLogger: false })

const scrape = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
  })

describe("Prometheus endpoint", () => {
  it.live("serves Effect counters, histograms and gauges under their recorded names", () =>
    Effect.gen(function*() {
      const url = yield* Effect.gen(function*() {
        const { metricsUrl } = yield* Telemetry
        assert.isTrue(Option.isSome(metricsUrl))
        const url = Option.getOrThrow(metricsUrl)
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
        assert.notInclude(url, ":0/")

        yield* ControllerMetrics.initialize(4)
        yield* ControllerMetrics.recordReconcile("success", 0.02)
        yield* ControllerMetrics.recordReconcile("error", 1.5, { terminal: true })
        yield* ControllerMetrics.recordMarathonRequest("GET /v2/apps", 200, 0.004)
        yield* ControllerMetrics.withActiveWorker(Effect.void)
        yield* Metric.update(Metric.gauge("workqueue_depth_probe", { description: "test gauge" }), 3)

        const { status, text } = yield* scrape(url)
        assert.strictEqual(status, 200)
        // Counters keep their `_total` names, with the labels recorded.
        assert.include(text, "# TYPE mdeploy_reconcile_total counter")
        assert.include(text, `mdeploy_reconcile_total{result="success"} 1`)
        assert.include(text, `mdeploy_reconcile_total{result="error"} 1`)
        assert.include(text, `mdeploy_reconcile_total{result="lock_held"} 0`)
        assert.include(text, "mdeploy_reconcile_errors_total 1")
        assert.include(text, "mdeploy_terminal_reconcile_errors_total 1")
        assert.include(text, `mdeploy_marathon_requests_total{route="GET /v2/apps",status="200"} 1`)
        // Histograms: cumulative buckets, count and sum.
        assert.include(text, "# TYPE mdeploy_reconcile_duration_seconds histogram")
        assert.include(text, `mdeploy_reconcile_duration_seconds_bucket{result="success",le="0.01"} 0`)
        assert.include(text, `mdeploy_reconcile_duration_seconds_bucket{result="success",le="0.025"} 1`)
        assert.include(text, `mdeploy_reconcile_duration_seconds_bucket{result="error",le="+Inf"} 1`)
        assert.include(text, `mdeploy_reconcile_duration_seconds_count{result="success"} 1`)
        assert.include(text, `mdeploy_reconcile_duration_seconds_sum{result="error"} 1.5`)
        assert.include(text, `mdeploy_marathon_request_duration_seconds_count{route="GET /v2/apps"} 1`)
        // Gauges.
        assert.include(text, "# TYPE workqueue_depth_probe gauge")
        assert.include(text, "workqueue_depth_probe 3")
        assert.include(text, "mdeploy_max_concurrent_reconciles 4")
        assert.include(text, "mdeploy_active_workers 0")
        // The resource, once, as target_info.
        assert.match(text, /target_info\{[^}]*service_name="mdeploy-test"/)

        // A later scrape sees later updates.
        yield* ControllerMetrics.recordReconcile("success", 0.2)
        assert.include((yield* scrape(url)).text, `mdeploy_reconcile_total{result="success"} 2`)

        const other = yield* scrape(url.replace(/\/metrics$/, "/other"))
        assert.strictEqual(other.status, 404)
        return url
      }).pipe(Effect.provide(telemetry("127.0.0.1:0")))

      // Released with the layer: nothing listens there any more.
      const after = yield* Effect.promise(() => fetch(url).then(() => "answered", () => "refused"))
      assert.strictEqual(after, "refused")
    }))

  it.live("no metricsAddr, no endpoint", () =>
    Effect.gen(function*() {
      const { metricsUrl } = yield* Telemetry
      assert.isTrue(Option.isNone(metricsUrl))
    }).pipe(Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", installLogger: false }))))

  it.live("a malformed address or a taken port fails the layer with TelemetryError", () =>
    Effect.gen(function*() {
      const malformed = yield* Effect.exit(Layer.build(telemetry("localhost")).pipe(Effect.scoped))
      assert.isTrue(Exit.isFailure(malformed))
      assert.include(JSON.stringify(malformed), "TelemetryError")

      const taken = yield* Effect.acquireRelease(
        Effect.promise(() =>
          new Promise<ReturnType<typeof createServer>>((resolve) => {
            const server = createServer()
            server.listen(0, "127.0.0.1", () => resolve(server))
          })
        ),
        (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const port = (taken.address() as AddressInfo).port
      const exit = yield* Effect.exit(Layer.build(telemetry(`127.0.0.1:${port}`)).pipe(Effect.scoped))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(JSON.stringify(exit), "EADDRINUSE")
    }))
})
