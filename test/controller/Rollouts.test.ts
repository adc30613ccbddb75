// Deploy metrics: the rollout bookkeeping alone (pure), then through the reconciler on memory
// layers and TestClock, so that a metric that is declared but never recorded fails here.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Option } from "effect"
import { TestClock } from "effect/testing"
import { CleanupLedger } from "../../src/cleanup/CleanupLedger.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { MarathonFields } from "../../src/controller/MarathonFields.ts"
import { makeMarathonSnapshot } from "../../src/controller/MarathonSnapshot.ts"
import { Owner } from "../../src/controller/Owner.ts"
import { makeReconciler } from "../../src/controller/Reconciler.ts"
import { makeRollouts, rolloutStep } from "../../src/controller/Rollouts.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { InstanceStatus, Phase } from "../../src/domain/InstanceStatus.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { EventRecorder } from "../../src/events/EventRecorder.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import { MesosMaintenance } from "../../src/marathon/MesosMaintenance.ts"
import { Locks } from "../../src/store/Locks.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import * as RolloutMetrics from "../../src/telemetry/RolloutMetrics.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { tasks } from "../plan/Fixtures.ts"

const status = (generation: number | undefined, phase: Phase, at = "2026-01-01T00:00:00.000Z"): InstanceStatus => ({
  ...(generation === undefined ? {} : { observedGeneration: generation }),
  phase,
  lastReconcile: { at, result: "Done" }
})

describe("rolloutStep (pure)", () => {
  it("a new generation begins a rollout; Running ends it Succeeded with the time between the passes", () => {
    const begun = rolloutStep(undefined, status(1, "Running"), status(2, "Bouncing"), 1_000)
    assert.deepStrictEqual(begun, { inFlight: { generation: 2, startedMs: 1_000 }, ended: [] })
    const still = rolloutStep(begun.inFlight, status(2, "Bouncing"), status(2, "Bouncing"), 5_000)
    assert.deepStrictEqual(still, begun)
    assert.deepStrictEqual(rolloutStep(begun.inFlight, status(2, "Bouncing"), status(2, "Running"), 61_000), {
      inFlight: undefined,
      ended: [{ result: "Succeeded", seconds: 60 }]
    })
  })

  it("a generation converged in its first write is a rollout of 0 s; Stopped counts as converged", () => {
    assert.deepStrictEqual(rolloutStep(undefined, undefined, status(1, "Running"), 7).ended, [{ result: "Succeeded", seconds: 0 }])
    assert.deepStrictEqual(rolloutStep(undefined, status(1, "Running"), status(2, "Stopped"), 7).ended, [{
      result: "Succeeded",
      seconds: 0
    }])
  })

  it("a newer generation supersedes the one in flight and begins its own", () => {
    const step = rolloutStep({ generation: 2, startedMs: 0 }, status(2, "Bouncing"), status(3, "Bouncing"), 9_000)
    assert.deepStrictEqual(step, { inFlight: { generation: 3, startedMs: 9_000 }, ended: [{ result: "Superseded", seconds: undefined }] })
  })

  it("Stalled and Invalid end a rollout Failed, once", () => {
    const stalled = rolloutStep({ generation: 2, startedMs: 0 }, status(2, "Bouncing"), status(2, "Stalled"), 9_000)
    assert.deepStrictEqual(stalled, { inFlight: undefined, ended: [{ result: "Failed", seconds: undefined }] })
    // Recovering later is not a second ending.
    assert.deepStrictEqual(rolloutStep(undefined, status(2, "Stalled"), status(2, "Running"), 10_000).ended, [])
    assert.deepStrictEqual(rolloutStep({ generation: 2, startedMs: 0 }, status(2, "Bouncing"), status(2, "Invalid"), 1).ended, [{
      result: "Failed",
      seconds: undefined
    }])
  })

  it("a rollout begun before this leader (same generation as before) is not counted; a status without a generation changes nothing", () => {
    assert.deepStrictEqual(rolloutStep(undefined, status(4, "Bouncing"), status(4, "Running"), 1), { inFlight: undefined, ended: [] })
    const inFlight = { generation: 2, startedMs: 0 }
    assert.deepStrictEqual(rolloutStep(inFlight, status(2, "Bouncing"), status(undefined, "Running"), 1), { inFlight, ended: [] })
  })
})

const layer = Executor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(
    Owner.layer({ owner: "us", adoptUnowned: false }),
    MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
    MesosMaintenance.layerNone,
    MarathonFields.layerDefault,
    DrainRecords.layerMemory,
    CleanupLedger.layerMemory,
    SpecStore.layerMemory,
    StatusStore.layerMemory,
    Locks.layerMemory,
    EventRecorder.layerMemory,
    DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
  ))
)

const web = "web.main" as InstanceName
const apply = (spec: Partial<ServiceInstanceSpec>) =>
  Effect.gen(function*() {
    yield* (yield* SpecStore).apply({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: web },
      spec: { gitSha: "abcdef12", image: "web:1", instances: 2, ports: [8080], drain: { method: "noop" }, ...spec }
    })
  })

const total = (result: RolloutMetrics.RolloutResult) =>
  Effect.map(Metric.value(Metric.withAttributes(RolloutMetrics.rolloutsTotal, { result })), (state) => state.count)
const inProgress = Effect.map(Metric.value(RolloutMetrics.rolloutsInProgress), (state) => state.value)

describe("Rollouts through the reconciler (memory layers, TestClock)", () => {
  it.effect("a bounce counts Succeeded with its duration, an edit during a bounce counts Superseded, the gauge follows", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const reconciler = yield* makeReconciler({
        snapshot: yield* makeMarathonSnapshot({ minIntervalMs: 0 }),
        session: {
          leaseId: "memory",
          ttlSeconds: 10,
          isValid: Effect.succeed(true),
          remainingMs: Effect.succeed(60_000),
          lost: Effect.never
        },
        holder: "test",
        fences: [],
        cleanupInput: Effect.succeed({ specNames: new Set([web]), specsSynced: true, managedInstances: new Set(), force: false }),
        rollouts: yield* makeRollouts
      })
      const pass = Effect.andThen(TestClock.adjust("1 second"), reconciler.reconcile(web))
      // Until the instance is Running, giving each new app its tasks as Marathon would.
      const converge = Effect.gen(function*() {
        for (let round = 0; round < 10; round++) {
          for (const created of yield* memory.apps) {
            if (created.tasks.length === 0) yield* memory.addTasks(created.id, tasks(created.id, `r${round}`, 2))
          }
          yield* TestClock.adjust("30 seconds")
          yield* reconciler.reconcile(web)
          if (Option.getOrThrow(yield* (yield* StatusStore).get(web)).phase === "Running") return
        }
        assert.fail("the instance never ran")
      })

      // The series exist before any rollout ends: rates and ratios work from the first scrape.
      assert.strictEqual(yield* total("Failed"), 0)
      yield* apply({})
      yield* pass
      assert.strictEqual(yield* inProgress, 1)
      yield* converge
      assert.strictEqual(yield* total("Succeeded"), 1)
      assert.strictEqual(yield* inProgress, 0)
      const duration = yield* Metric.value(RolloutMetrics.rolloutDuration)
      assert.strictEqual(duration.count, 1)
      // From the first pass that saw generation 1 to the pass that found it Running, on TestClock.
      assert.isAtLeast(duration.sum, 30)
      assert.strictEqual(duration.sum % 30, 0, `whole 30 s steps, got ${duration.sum}`)
      const last = yield* Metric.value(Metric.withAttributes(RolloutMetrics.rolloutLastDuration, { mdeploy_instance: web }))
      assert.strictEqual(last.value, duration.sum)

      // Generation 2 begins; generation 3 replaces it before it runs.
      yield* apply({ image: "web:2" })
      yield* pass
      assert.strictEqual(yield* inProgress, 1)
      yield* apply({ image: "web:3" })
      yield* pass
      assert.strictEqual(yield* total("Superseded"), 1)
      assert.strictEqual(yield* inProgress, 1)
      yield* converge
      assert.strictEqual(yield* total("Succeeded"), 2)
      assert.strictEqual(yield* total("Failed"), 0)
      assert.strictEqual(yield* inProgress, 0)
      assert.strictEqual((yield* Metric.value(RolloutMetrics.rolloutDuration)).count, 2)
    }).pipe(Effect.scoped, Effect.provide(layer), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("the in-progress gauge goes back to 0 when the leadership term ends", () =>
    Effect.gen(function*() {
      yield* Effect.gen(function*() {
        const rollouts = yield* makeRollouts
        yield* rollouts.statusWritten(web, undefined, status(1, "Bouncing"))
        assert.strictEqual(yield* inProgress, 1)
      }).pipe(Effect.scoped)
      assert.strictEqual(yield* inProgress, 0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("a deleted spec supersedes its rollout and drops its per-instance series", () =>
    Effect.gen(function*() {
      const rollouts = yield* makeRollouts
      yield* rollouts.statusWritten(web, undefined, status(1, "Running"))
      yield* rollouts.statusWritten(web, status(1, "Running"), status(2, "Bouncing"))
      yield* rollouts.statusRemoved(web)
      assert.strictEqual(yield* total("Superseded"), 1)
      assert.strictEqual(yield* inProgress, 0)
      const series = (yield* Metric.snapshot).filter((metric) => metric.id === "mdeploy_rollout_last_duration_seconds")
      assert.deepStrictEqual(series, [])
    }).pipe(Effect.scoped, Effect.provideService(Metric.MetricRegistry, new Map())))
})
