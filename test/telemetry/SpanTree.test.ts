import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { vi } from "vitest"
import { renderSpanTree, SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"

// A miniature reconcile with the controller's span names and attributes.
const killTasks = Effect.fn("MarathonClient.killTasks")(function*(appId: string, count: number) {
  yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": appId, "mdeploy.task_count": count })
  const span = yield* Effect.currentSpan
  span.event("marathon.retry", yield* Clock.currentTimeNanos, { "mdeploy.retry.attempt": 1, "error.type": "Unavailable" })
  yield* Effect.logInfo(`killed ${count} tasks`)
})

const probe = Effect.fn("Drain.isSafeToKill")(function*(taskId: string) {
  yield* Effect.annotateCurrentSpan({ "mdeploy.task_id": taskId })
  return yield* Effect.fail(new Error("hacheck unreachable"))
})

const runAction = Effect.fn("Executor.action")(function*(action: string) {
  yield* Effect.annotateCurrentSpan({ "mdeploy.action": action })
  if (action === "KillTasks") {
    yield* probe("task-1").pipe(Effect.ignore)
    yield* killTasks("/web.main.git1", 2)
  }
})

const plan = Effect.fn("Plan.make")(function*() {
  yield* Effect.annotateCurrentSpan({ "mdeploy.action_count": 2 })
  return ["CreateApp", "KillTasks"]
})

const execute = Effect.fn("Executor.run")(function*(actions: ReadonlyArray<string>) {
  for (const action of actions) yield* runAction(action)
})

const reconcile = Effect.fn("Reconciler.reconcile")(function*(instance: string) {
  yield* Effect.annotateCurrentSpan({ "mdeploy.instance": instance, "mdeploy.bounce.method": "crossover" })
  yield* execute(yield* plan())
  yield* Effect.annotateCurrentSpan({ "mdeploy.result": "success" })
})

/** Captures what the telemetry logger writes to stderr during `effect`. */
const captureStderr = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const lines: Array<string> = []
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split("\n").filter((line) => line !== ""))
        return true
      })
      return { lines, spy }
    }),
    ({ lines }) => Effect.map(effect, (value) => ({ value, lines })),
    ({ spy }) => Effect.sync(() => spy.mockRestore())
  )

describe("span tree of one reconcile", () => {
  it.effect("nested Effect.fn spans form the tree, with attributes, events and error status", () =>
    Effect.gen(function*() {
      const recorder = new SpanRecorder()
      const { lines } = yield* captureStderr(
        reconcile("web.main").pipe(
          Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, logFormat: "logfmt" }))
        )
      )

      assert.strictEqual(
        recorder.tree(),
        [
          "Reconciler.reconcile {mdeploy.bounce.method=crossover, mdeploy.instance=web.main, mdeploy.result=success}",
          "  Plan.make {mdeploy.action_count=2}",
          "  Executor.run",
          "    Executor.action {mdeploy.action=CreateApp}",
          "    Executor.action {mdeploy.action=KillTasks}",
          "      Drain.isSafeToKill {mdeploy.task_id=task-1} !error \"hacheck unreachable\"",
          "        · exception {exception.message=\"hacheck unreachable\", exception.type=Error}",
          "      MarathonClient.killTasks {mdeploy.app_id=/web.main.git1, mdeploy.task_count=2}",
          "        · marathon.retry {error.type=Unavailable, mdeploy.retry.attempt=1}",
          "        · killed 2 tasks"
        ].join("\n")
      )

      // One trace; every child points at a recorded parent.
      const [root] = recorder.named("Reconciler.reconcile")
      assert.isDefined(root)
      assert.strictEqual(root!.parentSpanId, undefined)
      assert.strictEqual(recorder.trace(root!.traceId).length, recorder.spans.length)

      // The log line written inside killTasks carries that span's trace and span id.
      const [kill] = recorder.named("MarathonClient.killTasks")
      const line = lines.find((text) => text.includes("killed 2 tasks"))
      assert.isDefined(line)
      assert.include(line!, `trace_id=${root!.traceId}`)
      assert.include(line!, `span_id=${kill!.spanId}`)
      assert.match(line!, /^time=\S+ level=INFO msg="killed 2 tasks" /)
    }))

  it.effect("root option renders only the subtree of one step; spans outlive the layer", () =>
    Effect.gen(function*() {
      const recorder = new SpanRecorder()
      yield* reconcile("web.canary").pipe(
        Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, installLogger: false }))
      )
      // The layer has shut its provider down by now; the recorder still has every span.
      assert.strictEqual(recorder.spans.length, 7)
      assert.strictEqual(
        recorder.tree({ root: (span) => span.attributes["mdeploy.action"] === "KillTasks", attributes: ["mdeploy.app_id"], events: false }),
        [
          "Executor.action",
          "  Drain.isSafeToKill !error \"hacheck unreachable\"",
          "  MarathonClient.killTasks {mdeploy.app_id=/web.main.git1}"
        ].join("\n")
      )
      assert.strictEqual(recorder.tree({ root: "Nothing.here" }), "")
      recorder.clear()
      assert.strictEqual(recorder.spans.length, 0)
    }))

  it.effect("JSON log lines carry trace_id and span_id inside a span and neither outside", () =>
    Effect.gen(function*() {
      const recorder = new SpanRecorder()
      const { lines } = yield* captureStderr(
        Effect.gen(function*() {
          yield* Effect.logInfo("before any span")
          yield* Effect.logWarning("inside", { app: "/web" }).pipe(
            Effect.annotateLogs({ instance: "web.main" }),
            Effect.withSpan("Controller.step")
          )
        }).pipe(Effect.provide(Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, logFormat: "json" })))
      )
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
      const outside = records.find((record) => record["msg"] === "before any span")
      const inside = records.find((record) => String(record["msg"]).startsWith("inside"))
      assert.isDefined(outside)
      assert.isDefined(inside)
      assert.notProperty(outside!, "trace_id")
      const [step] = recorder.named("Controller.step")
      assert.deepInclude(inside!, {
        level: "WARN",
        msg: "inside {\"app\":\"/web\"}",
        instance: "web.main",
        trace_id: step!.traceId,
        span_id: step!.spanId
      })
    }))

  it("renderSpanTree treats spans whose parent was not recorded as roots", () => {
    const span = (name: string, spanId: string, parentSpanId: string | undefined, startOrder: number) => ({
      name,
      traceId: "t",
      spanId,
      parentSpanId,
      attributes: {},
      events: [],
      status: "unset" as const,
      statusMessage: undefined,
      startTimeMs: 0,
      durationMs: 1.5,
      startOrder
    })
    const tree = renderSpanTree([span("child", "b", "a", 1), span("orphan", "c", "remote", 0)], { durations: true })
    assert.strictEqual(tree, "orphan (1.5 ms)\nchild (1.5 ms)")
  })
})
