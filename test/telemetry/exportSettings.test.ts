import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { exportSettings, metricsUrl, parseListenAddress } from "../../src/telemetry/internal/exportSettings.ts"
import * as LazyTelemetry from "../../src/telemetry/LazyTelemetry.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"

const service = { name: "mdeploy-controller", version: "0.1.0" }

describe("exportSettings", () => {
  it("exports nothing without an OTLP endpoint", () => {
    const settings = exportSettings({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_HEADERS: "a=b" }, service)
    assert.isFalse(settings.otlpTraces)
    assert.isFalse(settings.otlpMetrics)
  })

  it("the common endpoint turns on both signals; a signal endpoint only its own", () => {
    const both = exportSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, service)
    assert.isTrue(both.otlpTraces && both.otlpMetrics)
    const traces = exportSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" }, service)
    assert.deepStrictEqual([traces.otlpTraces, traces.otlpMetrics], [true, false])
    const metrics = exportSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/v1/metrics" }, service)
    assert.deepStrictEqual([metrics.otlpTraces, metrics.otlpMetrics], [false, true])
    assert.isFalse(exportSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, service).otlpTraces)
  })

  it("OTEL_SDK_DISABLED and OTEL_*_EXPORTER=none switch signals off", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }
    const disabled = exportSettings({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" }, service)
    assert.isFalse(disabled.otlpTraces || disabled.otlpMetrics)
    const noMetrics = exportSettings({ ...endpoint, OTEL_METRICS_EXPORTER: "none" }, service)
    assert.deepStrictEqual([noMetrics.otlpTraces, noMetrics.otlpMetrics], [true, false])
  })

  it("metric interval, timeout and temporality from the environment, with defaults", () => {
    const defaults = exportSettings({}, service)
    assert.deepStrictEqual(
      [defaults.metricIntervalMs, defaults.metricTimeoutMs, defaults.metricTemporality],
      [60_000, 30_000, "cumulative"]
    )
    const custom = exportSettings({
      OTEL_METRIC_EXPORT_INTERVAL: "5000",
      OTEL_METRIC_EXPORT_TIMEOUT: "nonsense",
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "Delta"
    }, service)
    assert.deepStrictEqual([custom.metricIntervalMs, custom.metricTimeoutMs, custom.metricTemporality], [5000, 30_000, "delta"])
  })

  it("the environment names the service over the code", () => {
    assert.deepStrictEqual(exportSettings({}, service).resourceAttributes, {
      "service.name": "mdeploy-controller",
      "service.version": "0.1.0"
    })
    assert.deepStrictEqual(exportSettings({ OTEL_SERVICE_NAME: "east" }, service).resourceAttributes, {
      "service.version": "0.1.0"
    })
    assert.deepStrictEqual(
      exportSettings({ OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod, service.name=west" }, { name: "m" })
        .resourceAttributes,
      {}
    )
  })
})

describe("parseListenAddress", () => {
  it.each([
    ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
    ["0.0.0.0:9464", { host: "0.0.0.0", port: 9464 }],
    [":9464", { host: "127.0.0.1", port: 9464 }],
    ["9464", { host: "127.0.0.1", port: 9464 }],
    ["[::1]:0", { host: "::1", port: 0 }],
    ["metrics.local:8080", { host: "metrics.local", port: 8080 }]
  ])("%s", (text, expected) => {
    assert.deepStrictEqual(parseListenAddress(text), expected)
  })

  it.each(["", "localhost", "host:", "host:70000", "::1:9464", "a b:1"])("rejects %j", (text) => {
    assert.isUndefined(parseListenAddress(text))
  })

  it("scrape URLs bracket IPv6 hosts", () => {
    assert.strictEqual(metricsUrl({ host: "::1", port: 9464 }), "http://[::1]:9464/metrics")
    assert.strictEqual(metricsUrl({ host: "127.0.0.1", port: 1 }), "http://127.0.0.1:1/metrics")
  })
})

describe("LazyTelemetry", () => {
  it.live("builds the same layer on first use", () =>
    Effect.gen(function*() {
      const info = yield* Telemetry
      assert.isTrue(Option.isNone(info.metricsUrl))
    }).pipe(Effect.provide(LazyTelemetry.layer({ serviceName: "mdeploy-test", installLogger: false }))))
})
