import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"
import { waitUntil } from "../harness/wait.ts"
import { withEnv as withEnvOf } from "./withEnv.ts"

interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A loopback stand-in for an OTLP/HTTP collector that keeps every request. */
const collector = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly received: Array<Received>; readonly close: () => Promise<void> }>((resume) => {
    const received: Array<Received> = []
    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        received.push({
          method: request.method ?? "",
          path: request.url ?? "",
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8")
        })
        response.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          })
      }))
    })
  }),
  (server) => Effect.promise(server.close)
)

const otelVariables = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_SERVICE_NAME",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SDK_DISABLED"
]

const withEnv = (values: Record<string, string>) => withEnvOf(otelVariables, values)

const work = Effect.gen(function*() {
  yield* Metric.update(Metric.counter("otlp_probe_total", { incremental: true }), 1)
  yield* Effect.annotateCurrentSpan({ "mdeploy.instance": "web.main" })
  yield* Effect.void.pipe(Effect.withSpan("Plan.make"))
}).pipe(Effect.withSpan("Reconciler.reconcile"))

const run = (recorder: SpanRecorder) =>
  Effect.gen(function*() {
    return (yield* Telemetry)
  }).pipe(
    Effect.tap(() => work),
    Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, installLogger: false }))
  )

const spanNames = (body: string): Array<string> => {
  const payload = JSON.parse(body) as {
    resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>
  }
  return payload.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name)))
}

describe("OTLP export", () => {
  it.live("with OTEL_EXPORTER_OTLP_ENDPOINT, spans and metrics are POSTed when the layer shuts down", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* withEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
        OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=mdeploy",
        OTEL_SERVICE_NAME: "mdeploy-from-env"
      })
      const recorder = new SpanRecorder()
      const info = yield* run(recorder)
      assert.isTrue(info.otlpTraces)
      assert.isTrue(info.otlpMetrics)

      // Flushed on shutdown: by the time the layer is released the collector has them.
      const traces = server.received.find((request) => request.path === "/v1/traces")
      assert.isDefined(traces, "spans were not flushed on shutdown")
      assert.strictEqual(traces!.method, "POST")
      assert.strictEqual(traces!.headers["x-tenant"], "mdeploy")
      assert.include(traces!.headers["content-type"] ?? "", "json")
      assert.sameMembers(spanNames(traces!.body), ["Reconciler.reconcile", "Plan.make"])
      // The environment names the service over the code, and the trace id is the one recorded.
      assert.include(traces!.body, "mdeploy-from-env")
      assert.notInclude(traces!.body, "\"mdeploy-test\"")
      assert.include(traces!.body, recorder.named("Reconciler.reconcile")[0]!.traceId)

      const metrics = server.received.find((request) => request.path === "/v1/metrics")
      assert.isDefined(metrics, "metrics were not exported on shutdown")
      assert.include(metrics!.body, "otlp_probe_total")
    }))

  it.live("OTEL_TRACES_EXPORTER=none keeps spans home while metrics still go out", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: server.url, OTEL_TRACES_EXPORTER: "none" })
      const recorder = new SpanRecorder()
      const info = yield* run(recorder)
      assert.isFalse(info.otlpTraces)
      // The collector is reachable (metrics arrive), so missing spans mean none were sent.
      yield* Effect.promise(() =>
        waitUntil("metrics at /v1/metrics", () => server.received.some((request) => request.path === "/v1/metrics"))
      )
      assert.isFalse(server.received.some((request) => request.path === "/v1/traces"))
      assert.strictEqual(recorder.spans.length, 2)
    }))

  it.live("without OTEL_EXPORTER_OTLP_* nothing is sent, yet spans still get ids", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* withEnv({})
      const recorder = new SpanRecorder()
      const info = yield* run(recorder)
      assert.isFalse(info.otlpTraces)
      assert.isFalse(info.otlpMetrics)
      assert.strictEqual(server.received.length, 0)
      const [root] = recorder.named("Reconciler.reconcile")
      assert.match(root!.traceId, /^[0-9a-f]{32}$/)
      assert.notMatch(root!.traceId, /^0+$/)
    }))
})
