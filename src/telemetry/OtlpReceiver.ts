// A tiny OTLP/HTTP collector for local inspection: listens on loopback, accepts JSON-encoded
// `POST /v1/traces` (what the pinned OTLP exporter sends), and writes one JSON line per span in
// SpanRecorder's shape, so the lines render with `renderSpanTree`. Metrics and logs are accepted
// and dropped, so a process pointed here logs no export errors. Not a collector for production.
import { Context, Effect, Layer, Ref, Schema } from "effect"
import { createWriteStream, openSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer } from "node:http"
import { gunzipSync } from "node:zlib"
import type { AttributeValue, RecordedSpan } from "./SpanRecorder.ts"

export interface OtlpReceiverOptions {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** Default 4318, OTLP/HTTP's port; 0 picks a free one. */
  readonly port?: number | undefined
  /** A file to append JSON lines to, or a function receiving each line. */
  readonly output: string | ((line: string) => void)
}

export class OtlpReceiverError extends Schema.TaggedError<OtlpReceiverError>()("OtlpReceiverError", {
  message: Schema.String
}) {}

// The subset of OTLP's JSON encoding read here; unknown fields are ignored.
const scalar = {
  stringValue: Schema.optionalKey(Schema.String),
  boolValue: Schema.optionalKey(Schema.Boolean),
  // int64 travels as a string in JSON, as a number from some encoders.
  intValue: Schema.optionalKey(Schema.Union([Schema.Number, Schema.String])),
  doubleValue: Schema.optionalKey(Schema.Number)
}
const Scalar = Schema.Struct(scalar)
const AnyValue = Schema.Struct({
  ...scalar,
  arrayValue: Schema.optionalKey(Schema.Struct({ values: Schema.optionalKey(Schema.Array(Scalar)) }))
})
const Attributes = Schema.optionalKey(Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.optionalKey(AnyValue) })))
const Nanos = Schema.Union([Schema.String, Schema.Number])
const OtlpSpan = Schema.Struct({
  traceId: Schema.String,
  spanId: Schema.String,
  parentSpanId: Schema.optionalKey(Schema.String),
  name: Schema.String,
  startTimeUnixNano: Nanos,
  endTimeUnixNano: Nanos,
  attributes: Attributes,
  events: Schema.optionalKey(Schema.Array(Schema.Struct({ name: Schema.String, timeUnixNano: Nanos, attributes: Attributes }))),
  status: Schema.optionalKey(Schema.Struct({
    code: Schema.optionalKey(Schema.Union([Schema.Number, Schema.String])),
    message: Schema.optionalKey(Schema.String)
  }))
})
const TracesRequest = Schema.fromJsonString(Schema.Struct({
  resourceSpans: Schema.optionalKey(Schema.Array(Schema.Struct({
    resource: Schema.optionalKey(Schema.Struct({ attributes: Attributes })),
    scopeSpans: Schema.optionalKey(Schema.Array(Schema.Struct({ spans: Schema.optionalKey(Schema.Array(OtlpSpan)) })))
  })))
}))
const decodeTraces = Schema.decodeUnknownEffect(TracesRequest)

const scalarValue = (value: typeof Scalar.Type): string | number | boolean | undefined =>
  value.stringValue ?? value.boolValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ??
    value.doubleValue

const attributes = (list: typeof Attributes.Type | undefined): Record<string, AttributeValue> => {
  const record: Record<string, AttributeValue> = {}
  for (const { key, value } of list ?? []) {
    if (value === undefined) continue
    const converted = value.arrayValue === undefined
      ? scalarValue(value)
      : (value.arrayValue.values ?? []).map((item) => scalarValue(item) ?? null)
    if (converted !== undefined) record[key] = converted
  }
  return record
}

const millis = (nanos: string | number): number => Number(nanos) / 1e6

const statusOf = (code: string | number | undefined): RecordedSpan["status"] =>
  code === 2 || code === "STATUS_CODE_ERROR" ? "error" : code === 1 || code === "STATUS_CODE_OK" ? "ok" : "unset"

/** One OTLP span as a RecordedSpan; received spans are ordered by start time. */
const toRecorded = (span: typeof OtlpSpan.Type): RecordedSpan => {
  const startTimeMs = millis(span.startTimeUnixNano)
  return {
    name: span.name,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId === undefined || span.parentSpanId === "" ? undefined : span.parentSpanId,
    attributes: attributes(span.attributes),
    events: (span.events ?? []).map((event) => ({
      name: event.name,
      attributes: attributes(event.attributes),
      offsetMs: millis(event.timeUnixNano) - startTimeMs
    })),
    status: statusOf(span.status?.code),
    statusMessage: span.status?.message === undefined || span.status.message === "" ? undefined : span.status.message,
    startTimeMs,
    durationMs: millis(span.endTimeUnixNano) - startTimeMs,
    startOrder: startTimeMs
  }
}

const maxBody = 16 * 1024 * 1024

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBody) request.destroy(new Error("request body too large"))
      else chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

const reply = (response: ServerResponse, status: number, body: string) => {
  response.writeHead(status, { "content-type": "application/json" }).end(body)
}

export class OtlpReceiver extends Context.Service<OtlpReceiver, {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:4318. */
  readonly url: string
  readonly spansReceived: Effect.Effect<number>
}>()("mdeploy/telemetry/OtlpReceiver") {
  static readonly layer = (options: OtlpReceiverOptions): Layer.Layer<OtlpReceiver, OtlpReceiverError> =>
    Layer.effect(
      OtlpReceiver,
      Effect.gen(function*() {
        const count = yield* Ref.make(0)
        const write = typeof options.output === "function" ? options.output : yield* fileWriter(options.output)
        const run = Effect.runForkWith(yield* Effect.context<never>())

        const handleTraces = (request: IncomingMessage, response: ServerResponse) =>
          Effect.gen(function*() {
            if (!(request.headers["content-type"] ?? "").includes("json")) {
              return reply(response, 415, JSON.stringify({ message: "only JSON-encoded OTLP is accepted" }))
            }
            const raw = yield* Effect.tryPromise(() => readBody(request))
            const body = request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
            const payload = yield* decodeTraces(body.toString("utf8"))
            let spans = 0
            for (const resource of payload.resourceSpans ?? []) {
              const service = attributes(resource.resource?.attributes)["service.name"]
              for (const scope of resource.scopeSpans ?? []) {
                for (const span of scope.spans ?? []) {
                  write(JSON.stringify({ ...toRecorded(span), service }))
                  spans++
                }
              }
            }
            yield* Ref.update(count, (n) => n + spans)
            reply(response, 200, "{}")
          }).pipe(Effect.catch((error) => Effect.sync(() => reply(response, 400, JSON.stringify({ message: String(error) })))))

        const server = createServer((request, response) => {
          const path = (request.url ?? "/").split("?")[0]
          if (request.method !== "POST") return reply(response, 405, "{}")
          if (path === "/v1/traces") return void run(handleTraces(request, response))
          // Accepted and dropped: the exporters of a process pointed here stay quiet.
          if (path === "/v1/metrics" || path === "/v1/logs") return request.resume().on("end", () => reply(response, 200, "{}"))
          reply(response, 404, "{}")
        })
        const host = options.host ?? "127.0.0.1"
        const port = yield* Effect.acquireRelease(
          Effect.callback<number, OtlpReceiverError>((resume) => {
            server.once("error", (error) =>
              resume(Effect.fail(new OtlpReceiverError({ message: `cannot listen on ${host}:${options.port ?? 4318}: ${error.message}` }))))
            server.listen({ host, port: options.port ?? 4318 }, () => {
              const address = server.address()
              resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
            })
          }),
          () =>
            Effect.callback<void>((resume) => {
              server.close(() =>
                resume(Effect.void)
              )
              server.closeAllConnections()
            })
        )
        return OtlpReceiver.of({ url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, spansReceived: Ref.get(count) })
      })
    )
}

/** Appends lines to `path`; the file is flushed and closed with the scope. */
const fileWriter = (path: string) =>
  Effect.acquireRelease(
    // Opened synchronously so that a bad path fails the layer instead of a later stream event.
    Effect.try({
      try: () => createWriteStream(path, { fd: openSync(path, "a") }),
      catch: (error) => new OtlpReceiverError({ message: `cannot open ${path}: ${String(error)}` })
    }),
    (stream) => Effect.callback<void>((resume) => void stream.end(() => resume(Effect.void)))
  ).pipe(
    // A failing disk loses lines; it must not take down the process that inspects its own traces.
    Effect.tap((stream) => Effect.sync(() => stream.on("error", () => undefined))),
    Effect.map((stream) => (line: string) => void stream.write(line + "\n"))
  )
