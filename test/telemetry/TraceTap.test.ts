import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { isPassSpan, passOf, passRootName } from "../../src/rollouts/PassTrace.ts"
import type { RecordedSpan } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"
import { TraceTap } from "../../src/telemetry/TraceTap.ts"

// The tap behind rollouts: through the real tracer, a pass's root span and its Executor spans reach
// the listener together when the root ends; other spans are not kept, nothing is kept unheard.

const createApp = Effect.fn("Executor.createApp")(function*() {
  yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": "/web.main.gitabc.config2", "mdeploy.instance": "web.main" })
  yield* Effect.void.pipe(Effect.withSpan("MarathonClient.createApp"))
})
const run = Effect.fn("Executor.run")(function*() {
  yield* createApp()
})
const reconcile = Effect.fn("Reconciler.reconcile", { root: true })(function*() {
  yield* Effect.annotateCurrentSpan({ "mdeploy.instance": "web.main", "mdeploy.app_id": "/web.main.gitabc.config2" })
  yield* run()
  yield* Effect.annotateCurrentSpan({ "mdeploy.generation": 2, "mdeploy.phase": "Bouncing", "mdeploy.draining": 0 })
})

describe("TraceTap", () => {
  it("hands over a pass's spans when its root ends, and they read as a pass", async () => {
    const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
    const heard: Array<ReadonlyArray<RecordedSpan>> = []
    const stop = tap.listen((spans) => heard.push(spans))
    await Effect.runPromise(
      Effect.gen(function*() {
        yield* reconcile()
        yield* reconcile()
      }).pipe(Effect.provide(Telemetry.layer({ serviceName: "tap-test", spanProcessor: tap, installLogger: false })))
    )
    stop()
    assert.lengthOf(heard, 2)
    assert.deepStrictEqual(heard[0]!.map((span) => span.name), ["Executor.createApp", "Reconciler.reconcile"])
    const pass = passOf(heard[0]!)
    assert.deepStrictEqual([pass?.instance, pass?.generation, pass?.phase, pass?.actions.map((action) => action.name)], [
      "web.main",
      2,
      "Bouncing",
      ["create app"]
    ])
    assert.match(pass!.traceId, /^[0-9a-f]{32}$/)
    assert.notStrictEqual(passOf(heard[1]!)?.traceId, pass!.traceId)
  })

  it("keeps nothing while no one listens, and drops the oldest open traces beyond its bound", () => {
    const tap = new TraceTap({ root: "root", keep: () => true, maxTraces: 2 })
    const span = (name: string, traceId: string) =>
      ({
        name,
        spanContext: () => ({ traceId, spanId: `${name}-${traceId}` }),
        parentSpanContext: undefined,
        attributes: {},
        status: { code: 0 },
        startTime: [0, 0],
        duration: [0, 1_000_000]
      }) as any
    tap.onEnd(span("child", "t0"))
    const heard: Array<ReadonlyArray<string>> = []
    tap.listen((spans) => heard.push(spans.map((each) => each.name)))
    for (const trace of ["t1", "t2", "t3"]) tap.onEnd(span("child", trace))
    for (const trace of ["t0", "t1", "t2", "t3"]) tap.onEnd(span("root", trace))
    assert.deepStrictEqual(heard, [["root"], ["root"], ["child", "root"], ["child", "root"]])
  })
})
