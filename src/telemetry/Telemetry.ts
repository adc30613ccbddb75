// Telemetry for long-running mdeploy processes: an OpenTelemetry tracer behind Effect's spans,
// OTLP/HTTP export of spans and Effect metrics when the standard OTEL_* variables ask for it,
// a Prometheus scrape endpoint on `--metrics-addr`, and log lines carrying trace ids. The only
// module that loads the OpenTelemetry SDK: import it lazily (see LazyTelemetry.ts) so that
// short CLI commands never pay for it. Code that records metrics needs none of this.
import * as OtelMetrics from "@effect/opentelemetry/OtelMetrics"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { diag, DiagLogLevel } from "@opentelemetry/api"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import type { LogLevel } from "effect"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { createServer } from "node:http"
import type { ListenAddress } from "./internal/exportSettings.ts"
import { exportSettings, metricsUrl, parseListenAddress } from "./internal/exportSettings.ts"
import { SpanMetrics } from "./SpanMetrics.ts"
import type { LogFormat } from "./LogSettings.ts"
import * as LogConfig from "./LogConfig.ts"
import * as TraceLogger from "./TraceLogger.ts"

export interface TelemetryOptions {
  /** `service.name`, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names one. */
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  /** "host:port" (":port" and "port" mean 127.0.0.1; port 0 picks one) for GET /metrics; absent: no endpoint. */
  readonly metricsAddr?: string | undefined
  /** Make GET /metrics a request handler for another server (the controller's, design.md §13) instead of serving it. */
  readonly metricsHandler?: boolean | undefined
  /** Extra span processors, e.g. a SpanRecorder in tests; they see every span, exported or not. */
  readonly spanProcessor?: SpanProcessor | ReadonlyArray<SpanProcessor> | undefined
  /** Log line format; absent: MDEPLOY_LOG_FORMAT, else logfmt. */
  readonly logFormat?: LogFormat | undefined
  /** Minimum log level; absent: MDEPLOY_LOG_LEVEL, else Effect's default (Info). */
  readonly logLevel?: LogLevel.LogLevel | undefined
  /** false: keep the program's loggers (tests that capture logs their own way). Default true. */
  readonly installLogger?: boolean | undefined
  /** Longest wait for the final flush of spans and metrics at shutdown. Default 5 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
}

export class TelemetryError extends Schema.TaggedError<TelemetryError>()("TelemetryError", {
  message: Schema.String
}) {}

/** What the running telemetry does, for a start-up log line and for tests. */
export interface TelemetryInfo {
  /** The scrape URL of the bound Prometheus endpoint (the real port when 0 was asked for). */
  readonly metricsUrl: Option.Option<string>
  /** The /metrics handler, when `metricsHandler` asked for one. */
  readonly metricsHandler: Option.Option<(request: IncomingMessage, response: ServerResponse) => void>
  readonly otlpTraces: boolean
  readonly otlpMetrics: boolean
}

const processorList = (option: TelemetryOptions["spanProcessor"]): ReadonlyArray<SpanProcessor> =>
  option === undefined ? [] : Array.isArray(option) ? option : [option as SpanProcessor]

/** Flushes, then shuts down; a failed or slow flush is logged, never fatal: the process is leaving anyway. */
const flushAndShutdown = (what: string, timeout: Duration.Input, run: () => Promise<unknown>) =>
  Effect.tryPromise(run).pipe(
    Effect.timeoutOption(timeout),
    Effect.flatMap((done) => Option.isNone(done) ? Effect.logWarning(`telemetry: ${what} did not finish in time`) : Effect.void),
    Effect.catch((error) => Effect.logWarning(`telemetry: ${what} failed`, error))
  )

// A tracer provider of our own rather than NodeSdk's, which would also load the logs SDK.
// BasicTracerProvider reads OTEL_TRACES_SAMPLER and the span limits from the environment.
const tracerLayer = (processors: () => ReadonlyArray<SpanProcessor>, timeout: Duration.Input) =>
  OtelTracer.layer.pipe(Layer.provide(Layer.effect(
    OtelTracer.OtelTracerProvider,
    Effect.gen(function*() {
      const resource = yield* Resource.Resource
      return yield* Effect.acquireRelease(
        Effect.sync(() => {
          const list = processors()
          // A provider without processors still makes spans with real ids for logs and status.
          return new BasicTracerProvider({ resource, spanProcessors: list.length > 0 ? [...list] : [new NoopSpanProcessor()] })
        }),
        (provider) => flushAndShutdown("span export", timeout, () => provider.forceFlush().finally(() => provider.shutdown()))
      )
    })
  )))

/** Serves GET /metrics from the exporter on `address`; the listening socket is part of the scope. */
const serveMetrics = (exporter: PrometheusExporter, address: ListenAddress) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Server; readonly bound: ListenAddress }, TelemetryError>((resume) => {
      const server = createServer((request, response) => {
        const path = (request.url ?? "/").split("?")[0]
        if ((request.method === "GET" || request.method === "HEAD") && path === "/metrics") {
          exporter.getMetricsRequestHandler(request, response)
          return
        }
        response.statusCode = 404
        response.end("not found: metrics are at /metrics\n")
      })
      server.once("error", (error) =>
        resume(Effect.fail(
          new TelemetryError({ message: `cannot serve metrics on ${address.host}:${address.port}: ${error.message}` })
        )))
      server.listen({ host: address.host, port: address.port }, () => {
        const bound = server.address()
        const port = typeof bound === "object" && bound !== null ? bound.port : address.port
        resume(Effect.succeed({ server, bound: { host: address.host, port } }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        // A scraper's keep-alive connection must not hold the shutdown open.
        server.closeAllConnections()
      })
  )

// The SDK reports export failures through its diagnostic logger, silent unless one is set;
// route them into the process's own logs so a missing collector is visible.
const diagnostics = Effect.gen(function*() {
  const context = yield* Effect.context<never>()
  const log = (effect: Effect.Effect<void>) => {
    Effect.runForkWith(context)(effect)
  }
  yield* Effect.acquireRelease(
    Effect.sync(() =>
      diag.setLogger({
        error: (message, ...args) => log(Effect.logWarning(`opentelemetry: ${message}`, ...args)),
        warn: (message, ...args) => log(Effect.logWarning(`opentelemetry: ${message}`, ...args)),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined
      }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
    ),
    () => Effect.sync(() => diag.disable())
  )
})

export class Telemetry extends Context.Service<Telemetry, TelemetryInfo>()("mdeploy/telemetry/Telemetry") {
  /**
   * Tracing, metrics export and logging for one process. The environment is read when the layer
   * is built; spans and metrics are flushed when it is released.
   */
  static readonly layer = (options: TelemetryOptions): Layer.Layer<Telemetry, TelemetryError> =>
    Layer.unwrap(Effect.gen(function*() {
      const settings = exportSettings(process.env, { name: options.serviceName, version: options.serviceVersion })
      const timeout = options.shutdownTimeout ?? Duration.seconds(5)
      const address = options.metricsAddr === undefined ? undefined : parseListenAddress(options.metricsAddr)
      if (options.metricsAddr !== undefined && address === undefined) {
        return yield* new TelemetryError({ message: `--metrics-addr: expected host:port, got ${JSON.stringify(options.metricsAddr)}` })
      }

      // With no processor and no OTLP export nothing would see the spans: Effect's own tracer then
      // keeps trace ids for logs and status at a fraction of the bridge's cost (the bridge copies an
      // OpenTelemetry context on every fiber step; measured ~10–14% of a reconcile's CPU).
      const tracer = processorList(options.spanProcessor).length === 0 && !settings.otlpTraces
        ? Layer.empty
        : tracerLayer(() => [
          ...processorList(options.spanProcessor),
          // Endpoint, headers, timeout and compression come from OTEL_EXPORTER_OTLP_* via the exporter.
          ...(settings.otlpTraces ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [])
        ], timeout)
      // Span metrics (SpanMetrics.ts) wherever metrics are exported: the dashboards' per-step
      // durations come from them. They wrap the tracer above, the bridge or Effect's own, and are
      // recorded in this layer's registry, the one the exporters read.
      const tracing = address !== undefined || options.metricsHandler === true || settings.otlpMetrics
        ? SpanMetrics.layer(yield* Effect.context<never>()).pipe(Layer.provideMerge(tracer))
        : tracer

      const metrics = Layer.effect(
        Telemetry,
        Effect.gen(function*() {
          yield* diagnostics
          let url = Option.none<string>()
          let handler = Option.none<(request: IncomingMessage, response: ServerResponse) => void>()
          if (address !== undefined || options.metricsHandler === true) {
            // Prometheus is always cumulative; the scope labels would repeat on every series.
            const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
            yield* OtelMetrics.registerProducer(yield* OtelMetrics.makeProducer("cumulative"), () => exporter, {
              shutdownTimeout: timeout
            })
            handler = Option.some((request, response) => exporter.getMetricsRequestHandler(request, response))
            if (address !== undefined) {
              const { bound } = yield* serveMetrics(exporter, address)
              url = Option.some(metricsUrl(bound))
            }
          }
          if (settings.otlpMetrics) {
            // The reader exports once more when it shuts down, so the last interval is not lost.
            const reader = new PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter(),
              exportIntervalMillis: settings.metricIntervalMs,
              exportTimeoutMillis: Math.min(settings.metricTimeoutMs, settings.metricIntervalMs)
            })
            yield* OtelMetrics.registerProducer(
              yield* OtelMetrics.makeProducer(settings.metricTemporality),
              () => reader,
              { shutdownTimeout: timeout }
            )
          }
          return Telemetry.of({
            metricsUrl: url,
            metricsHandler: handler,
            otlpTraces: settings.otlpTraces,
            otlpMetrics: settings.otlpMetrics
          })
        })
      )

      const logging = options.installLogger === false ? Layer.empty : TraceLogger.layer(
        yield* LogConfig.settingsFromEnv({ format: options.logFormat, level: options.logLevel }).pipe(
          Effect.mapError((error) => new TelemetryError({ message: `log settings: ${error.message}` }))
        )
      )

      // Logging first, so that the telemetry layers' own warnings already use it.
      return Layer.mergeAll(tracing, metrics).pipe(
        Layer.provide(Resource.layerFromEnv(settings.resourceAttributes)),
        Layer.provideMerge(logging)
      )
    }))
}
