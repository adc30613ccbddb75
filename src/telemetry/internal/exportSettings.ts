// What the telemetry layer exports, decided from the standard OTEL_* variables, and the
// `--metrics-addr` parser. Pure, so the decisions are tested without an SDK; the exporters read
// endpoints, headers, timeouts and compression from the environment themselves.
export type Env = Readonly<Record<string, string | undefined>>

export interface ExportSettings {
  /** Spans go out over OTLP/HTTP: an endpoint is set and traces are not switched off. */
  readonly otlpTraces: boolean
  /** Effect metrics go out over OTLP/HTTP, periodically and once more at shutdown. */
  readonly otlpMetrics: boolean
  readonly metricIntervalMs: number
  readonly metricTimeoutMs: number
  readonly metricTemporality: "cumulative" | "delta"
  /** Resource attributes to add from code; ones the environment names already are left out. */
  readonly resourceAttributes: Readonly<Record<string, string>>
}

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== ""

const positiveInt = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value)
  return set(value) && Number.isInteger(parsed) && parsed > 0 ? parsed : fallback
}

// `OTEL_RESOURCE_ATTRIBUTES` is `key=value,key=value`; only the presence of a key matters here.
const resourceKeys = (env: Env): ReadonlySet<string> =>
  new Set((env["OTEL_RESOURCE_ATTRIBUTES"] ?? "").split(",").map((pair) => pair.split("=")[0]!.trim()))

/**
 * Nothing leaves the process unless an OTLP endpoint is configured: the SDK's own default of
 * localhost:4318 would send to whoever listens there. `OTEL_SDK_DISABLED=true` and
 * `OTEL_{TRACES,METRICS}_EXPORTER=none` switch a signal off as the specification says.
 */
export const exportSettings = (
  env: Env,
  service: { readonly name: string; readonly version?: string | undefined }
): ExportSettings => {
  const disabled = env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true"
  const off = (variable: string) => env[variable]?.trim().toLowerCase() === "none"
  const common = set(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
  const keys = resourceKeys(env)
  const attributes: Record<string, string> = {}
  // The environment names the service over the code, as OTEL_SERVICE_NAME is meant to.
  if (!set(env["OTEL_SERVICE_NAME"]) && !keys.has("service.name")) attributes["service.name"] = service.name
  if (service.version !== undefined && !keys.has("service.version")) attributes["service.version"] = service.version
  return {
    otlpTraces: !disabled && !off("OTEL_TRACES_EXPORTER") && (common || set(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])),
    otlpMetrics: !disabled && !off("OTEL_METRICS_EXPORTER") &&
      (common || set(env["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"])),
    metricIntervalMs: positiveInt(env["OTEL_METRIC_EXPORT_INTERVAL"], 60_000),
    metricTimeoutMs: positiveInt(env["OTEL_METRIC_EXPORT_TIMEOUT"], 30_000),
    metricTemporality: env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"]?.trim().toLowerCase() === "delta"
      ? "delta"
      : "cumulative",
    resourceAttributes: attributes
  }
}

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/**
 * `host:port`, `:port` or `port` (host 127.0.0.1: scraping from elsewhere must be asked for),
 * `[v6]:port`. Port 0 picks a free port. Undefined when the text is not an address.
 */
export const parseListenAddress = (text: string): ListenAddress | undefined => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$|^(\d{1,5})$/.exec(text.trim())
  if (match === null) return undefined
  const port = Number(match[3] ?? match[4])
  if (port > 65_535) return undefined
  const host = match[1] ?? match[2] ?? ""
  return { host: host === "" ? "127.0.0.1" : host, port }
}

/** The scrape URL for a bound address (IPv6 hosts in brackets). */
export const metricsUrl = (address: ListenAddress): string =>
  `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}/metrics`
