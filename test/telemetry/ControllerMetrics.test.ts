import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Metric } from "effect"
import * as ControllerMetrics from "../../src/telemetry/ControllerMetrics.ts"

const count = (metric: Metric.Counter<number>, attributes: Record<string, string> = {}) =>
  Effect.map(Metric.value(Metric.withAttributes(metric, attributes)), (state) => state.count)

describe("ControllerMetrics", () => {
  it.effect("recordReconcile counts by result and counts errors, terminal ones apart", () =>
    Effect.gen(function*() {
      yield* ControllerMetrics.recordReconcile("requeue_after", 0.1)
      yield* ControllerMetrics.recordReconcile("error", 0.2)
      yield* ControllerMetrics.recordReconcile("error", 0.3, { terminal: true })
      assert.strictEqual(yield* count(ControllerMetrics.reconcileTotal, { result: "requeue_after" }), 1)
      assert.strictEqual(yield* count(ControllerMetrics.reconcileTotal, { result: "error" }), 2)
      assert.strictEqual(yield* count(ControllerMetrics.reconcileErrors), 2)
      assert.strictEqual(yield* count(ControllerMetrics.terminalReconcileErrors), 1)
      const histogram = yield* Metric.value(Metric.withAttributes(ControllerMetrics.reconcileDuration, { result: "error" }))
      assert.strictEqual(histogram.count, 2)
      assert.closeTo(histogram.sum, 0.5, 1e-9)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("recordDoneReconciles counts as many successes as durations it is given, each in the histogram", () =>
    Effect.gen(function*() {
      yield* ControllerMetrics.recordReconcile("success", 0.5)
      yield* ControllerMetrics.recordDoneReconciles([0.001, 0.002, 0.003])
      yield* ControllerMetrics.recordDoneReconciles([])
      assert.strictEqual(yield* count(ControllerMetrics.reconcileTotal, { result: "success" }), 4)
      const histogram = yield* Metric.value(Metric.withAttributes(ControllerMetrics.reconcileDuration, { result: "success" }))
      assert.strictEqual(histogram.count, 4)
      assert.closeTo(histogram.sum, 0.506, 1e-9)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("withActiveWorker counts a running worker and uncounts it however it ends", () =>
    Effect.gen(function*() {
      const inside = yield* ControllerMetrics.withActiveWorker(Metric.value(ControllerMetrics.activeWorkers))
      assert.strictEqual(inside.value, 1)
      const failed = yield* Effect.exit(ControllerMetrics.withActiveWorker(Effect.fail("boom")))
      assert.isTrue(Exit.isFailure(failed))
      assert.strictEqual((yield* Metric.value(ControllerMetrics.activeWorkers)).value, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("leader status is one series", () =>
    Effect.gen(function*() {
      yield* Metric.update(ControllerMetrics.leaderStatus, 1)
      assert.strictEqual((yield* Metric.value(ControllerMetrics.leaderStatus)).value, 1)
      assert.strictEqual((yield* Metric.snapshot).filter((m) => m.id === "leader_election_master_status").length, 1)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})
