import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll } from "vitest"
import { makeMarathonSnapshot } from "../../src/controller/MarathonSnapshot.ts"
import { makeReconciler } from "../../src/controller/Reconciler.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import { reconcileLayer } from "../../src/Layers.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { SpanRecorder } from "../../src/telemetry/SpanRecorder.ts"
import { Telemetry } from "../../src/telemetry/Telemetry.ts"
import type { Stack } from "../harness/stack.ts"
import { appsOf, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// The traces a dashboard is built from: one bounce step of a real reconcile, against etcd and the
// emulator over HTTP, recorded in memory and read back as a span tree.

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ label: "trace" })
})
afterAll(async () => {
  await stack?.close()
})

const document = (image: string): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: "web.main" as InstanceName },
  spec: { image, gitSha: "abcdef12", instances: 2, bounce: { method: "brutal" }, drain: { method: "noop" } }
})

describe("traces", () => {
  it("one reconcile is one trace: plan, drain probe, each action and each Marathon call inside it", async () => {
    const recorder = new SpanRecorder()
    const layer = Layer.merge(
      reconcileLayer({ endpoints: stack.etcd.endpoints.split(","), prefix: stack.prefix }, { urls: [stack.proxy.url] }),
      Telemetry.layer({ serviceName: "mdeploy-test", spanProcessor: recorder, installLogger: false })
    )
    await Effect.runPromise(
      Effect.gen(function*() {
        const specs = yield* SpecStore
        const session = yield* makeSession({ ttlSeconds: 5 })
        const snapshot = yield* makeMarathonSnapshot({ minIntervalMs: 0 })
        const reconciler = yield* makeReconciler({
          snapshot,
          session,
          holder: "trace-test",
          fences: [],
          cleanupInput: Effect.succeed({
            specNames: new Set(["web.main"]),
            specsSynced: true,
            managedInstances: new Set<string>(),
            force: false
          })
        })
        yield* specs.apply(document("web:1"))
        yield* reconciler.reconcile("web.main" as InstanceName)
        yield* Effect.promise(() =>
          // No health check in this spec, so Marathon counts a task healthy once it runs.
          waitUntil("two healthy tasks", async () => {
            const apps = appsOf(await stack.apps(), "web.main")
            return apps.length === 1 && (apps[0]!.tasks ?? []).filter((task) => task.state === "TASK_RUNNING").length === 2
          })
        )
        yield* specs.apply(document("web:2"))
        recorder.clear()
        // The bounce step: brutal creates the new app and drains + kills every old task at once.
        const outcome = yield* reconciler.reconcile("web.main" as InstanceName)
        assert.strictEqual(outcome._tag, "RequeueAfter")
      }).pipe(Effect.scoped, Effect.provide(layer))
    )

    const roots = recorder.spans.filter((span) => span.name === "Reconciler.reconcile")
    assert.strictEqual(roots.length, 1)
    const root = roots[0]!
    assert.isUndefined(root.parentSpanId, "a reconcile starts its own trace")
    assert.strictEqual(root.attributes["mdeploy.instance"], "web.main")
    assert.strictEqual(root.attributes["mdeploy.bounce.method"], "brutal")
    assert.strictEqual(root.attributes["mdeploy.result"], "RequeueAfter")
    assert.match(String(root.attributes["mdeploy.app_id"]), /^\/web\.main\.gitabcdef12\.config[0-9a-f]{8}$/)

    const inTrace = recorder.trace(root.traceId)
    const names = inTrace.map((span) => span.name)
    for (
      const expected of [
        "SpecStore.get",
        "MarathonSnapshot.forInstance",
        "DrainProbe.probe",
        "Plan.make",
        "Executor.run",
        "StatusStore.put"
      ]
    ) {
      assert.include(names, expected, `missing ${expected} in:\n${recorder.tree({ root: "Reconciler.reconcile" })}`)
    }
    const actions = inTrace.filter((span) => span.name.startsWith("Executor.") && span.name !== "Executor.run")
    assert.deepStrictEqual(actions.map((span) => span.attributes["mdeploy.action"]), ["createApp", "drainTasks", "killTasks", "deleteApp"])
    const create = actions[0]!
    assert.isTrue(
      inTrace.some((span) => span.parentSpanId === create.spanId || isBelow(inTrace, span, create.spanId)),
      "the Marathon call of createApp is traced under its action"
    )
    const tree = recorder.tree({ root: "Reconciler.reconcile", attributes: ["mdeploy.action", "mdeploy.instance"] })
    // The shape a dashboard relies on: the plan, then the actions in order, each with its Marathon call.
    assert.match(
      tree,
      /^Reconciler\.reconcile[\s\S]*\n  Plan\.make[\s\S]*\n  Executor\.run[\s\S]*\n    Executor\.createApp[\s\S]*MarathonClient\.createApp[\s\S]*\n    Executor\.killTasks[\s\S]*MarathonClient\.killTasks[\s\S]*\n  StatusStore\.put/
    )
  })
})

const isBelow = (spans: ReturnType<SpanRecorder["trace"]>, span: (typeof spans)[number], ancestorId: string): boolean => {
  let parent = span.parentSpanId
  while (parent !== undefined) {
    if (parent === ancestorId) return true
    parent = spans.find((candidate) => candidate.spanId === parent)?.parentSpanId
  }
  return false
}
