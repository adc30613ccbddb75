import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { OtlpReceiver } from "../../src/telemetry/OtlpReceiver.ts"
import type { RecordedSpan } from "../../src/telemetry/SpanRecorder.ts"
import { renderSpanTree, SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"
import { withEnv as withEnvOf } from "./withEnv.ts"

const variables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_SERVICE_NAME"]

const withEnv = (values: Record<string, string>) => withEnvOf(variables, values)

const step = Effect.gen(function*() {
  yield* Effect.annotateCurrentSpan({ "mdeploy.instance": "web.main", "mdeploy.ports": [8080, 8081] })
  yield* Effect.fail("locked").pipe(Effect.withSpan("MarathonClient.scaleApp"), Effect.ignore)
  yield* Effect.logInfo("scaled")
}).pipe(Effect.withSpan("Reconciler.reconcile"))

const post = (url: string, init: RequestInit) => Effect.promise(() => fetch(url, init).then((response) => response.status))

describe("OtlpReceiver", () => {
  it.live("receives the controller's spans (gzip too) and writes lines that render as the same tree", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const receiver = yield* Layer.build(OtlpReceiver.layer({ port: 0, output: (line) => lines.push(line) })).pipe(
        Effect.map((context) => Context.get(context, OtlpReceiver))
      )
      yield* withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" })
      const recorder = new SpanRecorder()
      yield* step.pipe(Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, installLogger: false })))

      assert.strictEqual(yield* receiver.spansReceived, 2)
      const received = lines.map((line) => JSON.parse(line) as RecordedSpan & { service: string })
      assert.deepStrictEqual(received.map((span) => span.service), ["mdeploy-test", "mdeploy-test"])
      assert.strictEqual(renderSpanTree(received), recorder.tree())
      assert.strictEqual(
        renderSpanTree(received),
        [
          "Reconciler.reconcile {mdeploy.instance=web.main, mdeploy.ports=[8080,8081]}",
          "  · scaled",
          "  MarathonClient.scaleApp !error \"locked\"",
          "    · exception {exception.message=locked, exception.type=Error}"
        ].join("\n")
      )

      assert.strictEqual(
        yield* post(`${receiver.url}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: "x" }),
        415
      )
      assert.strictEqual(
        yield* post(`${receiver.url}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{\"resourceSpans\":3}"
        }),
        400
      )
      assert.strictEqual(
        yield* post(`${receiver.url}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
        200
      )
      assert.strictEqual(yield* post(`${receiver.url}/elsewhere`, { method: "POST", body: "" }), 404)
    }).pipe(Effect.scoped))

  it.live("appends JSON lines to a file, flushed when the layer closes", () =>
    Effect.gen(function*() {
      const file = join(mkdtempSync(join(tmpdir(), "mdeploy-otlp-")), "spans.jsonl")
      yield* Effect.gen(function*() {
        const receiver = yield* OtlpReceiver
        yield* withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
        yield* step.pipe(Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", installLogger: false })))
      }).pipe(Effect.scoped, Effect.provide(OtlpReceiver.layer({ port: 0, output: file })))
      const names = readFileSync(file, "utf8").trim().split("\n").map((line) => (JSON.parse(line) as RecordedSpan).name)
      assert.sameMembers(names, ["Reconciler.reconcile", "MarathonClient.scaleApp"])

      const exit = yield* Effect.exit(
        Layer.build(OtlpReceiver.layer({ port: 0, output: join(file, "not-a-dir", "x") })).pipe(Effect.scoped)
      )
      assert.isTrue(Exit.isFailure(exit))
    }))
})
