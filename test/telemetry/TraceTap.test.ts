import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Option, Tracer } from "effect"
import { isPassSpan, passOf, passRootName } from "../../src/rollouts/PassTrace.ts"
import type { RecordedSpan } from "../../src/telemetry/SpanRecorder.ts"
import { SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"
import { TraceTap } from "../../src/telemetry/TraceTap.ts"

// The tap behind rollouts: around Effect's own tracer or OpenTelemetry's bridge, a pass's root span
// and its Executor spans reach the listener together when the root ends; other spans are not kept,
// and nothing is kept while no one listens.

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

const twoPasses = (tap: TraceTap) =>
  Effect.gen(function*() {
    const tracer = tap.wrap(yield* Effect.tracer)
    yield* Effect.withTracer(Effect.andThen(reconcile(), reconcile()), tracer)
  })

const checkHeard = (heard: ReadonlyArray<ReadonlyArray<RecordedSpan>>) => {
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
}

describe("TraceTap", () => {
  it("around Effect's own tracer: a pass's spans arrive together when its root ends", async () => {
    const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
    const heard: Array<ReadonlyArray<RecordedSpan>> = []
    tap.listen((spans) => heard.push(spans))
    await Effect.runPromise(twoPasses(tap))
    checkHeard(heard)
  })

  it("around OpenTelemetry's bridge: the same, and the spans are still recorded and exported as before", async () => {
    const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
    const heard: Array<ReadonlyArray<RecordedSpan>> = []
    tap.listen((spans) => heard.push(spans))
    const recorder = new SpanRecorder()
    await Effect.runPromise(
      twoPasses(tap).pipe(Effect.provide(Telemetry.layer({ serviceName: "tap-test", spanProcessor: recorder, installLogger: false })))
    )
    checkHeard(heard)
    assert.lengthOf(recorder.named("Reconciler.reconcile"), 2)
    assert.lengthOf(recorder.named("MarathonClient.createApp"), 2)
  })

  it("keeps nothing while no one listens, and drops the oldest open traces beyond its bound", () => {
    const tap = new TraceTap({ root: "root", keep: () => true, maxTraces: 2 })
    const tracer = tap.wrap(Tracer.nativeTracer)
    const end = (name: string, trace: string) => {
      const parent = Tracer.externalSpan({ traceId: trace.padEnd(32, "0"), spanId: "0".repeat(16) })
      tracer.span({
        name,
        parent: Option.some(parent),
        annotations: Context.empty(),
        links: [],
        startTime: 0n,
        kind: "internal",
        root: false,
        sampled: true
      })
        .end(1_000_000n, Exit.void)
    }
    end("child", "a0")
    const heard: Array<ReadonlyArray<string>> = []
    tap.listen((spans) => heard.push(spans.map((each) => each.name)))
    for (const trace of ["a1", "a2", "a3"]) end("child", trace)
    for (const trace of ["a0", "a1", "a2", "a3"]) end("root", trace)
    assert.deepStrictEqual(heard, [["root"], ["root"], ["child", "root"], ["child", "root"]])
  })
})
