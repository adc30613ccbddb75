import { assert, describe, it } from "@effect/vitest"
import { DateTime, Option } from "effect"
import { nextStatus, progressFromStatus, progressToStatus, statusChanged } from "../../src/controller/StatusUpdate.ts"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { app, at, drainState, observed, oldId, spec, tasks } from "../plan/Fixtures.ts"

// A steady instance: one app, one happy task, nothing to do.
const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
const planAt = (seconds: number) =>
  Plan.make(Option.some(desired), observed([app(oldId(1), tasks(oldId(1), "t", 1))]), drainState(), at(seconds))
const facts = (previous: InstanceStatus | undefined, seconds: number, extra: { traceId?: string; error?: string } = {}) => ({
  previous,
  plan: planAt(seconds),
  generation: 3,
  result: "Done" as const,
  error: extra.error,
  now: at(seconds),
  traceId: extra.traceId
})

describe("status update (Kubernetes conditions)", () => {
  it("a condition keeps its lastTransitionTime until its status flips", () => {
    const first = nextStatus(facts(undefined, 0))
    assert.isAbove(first.conditions!.length, 0)
    for (const condition of first.conditions!) assert.strictEqual(condition.lastTransitionTime, DateTime.formatIso(at(0)))
    const again = nextStatus(facts(first, 60))
    assert.deepStrictEqual(again.conditions, first.conditions, "same status an hour later: same transition time")
    const [flipped, ...rest] = first.conditions!
    const before = {
      ...first,
      conditions: [{ ...flipped!, status: flipped!.status === "True" ? "False" as const : "True" as const }, ...rest]
    }
    const after = nextStatus(facts(before, 120))
    assert.strictEqual(after.conditions![0]!.lastTransitionTime, DateTime.formatIso(at(120)))
    assert.deepStrictEqual(after.conditions!.slice(1), first.conditions!.slice(1))
    // A condition type seen for the first time transitions now.
    const unseen = nextStatus(facts({ ...first, conditions: rest }, 180))
    assert.strictEqual(unseen.conditions![0]!.lastTransitionTime, DateTime.formatIso(at(180)))
  })

  it("records the pass with its trace id and error only when there is one, and the plan's app id", () => {
    const plain = nextStatus(facts(undefined, 0))
    assert.deepStrictEqual(plain.lastReconcile, { at: DateTime.formatIso(at(0)), result: "Done" })
    assert.strictEqual(plain.appId, planAt(0).appId)
    assert.strictEqual(plain.observedGeneration, 3)
    const traced = nextStatus(facts(undefined, 0, { traceId: "abc", error: "boom" }))
    assert.deepStrictEqual(traced.lastReconcile, { at: DateTime.formatIso(at(0)), result: "Done", traceId: "abc", error: "boom" })
    const failed = nextStatus({ ...facts(plain, 5, { error: "no plan" }), plan: undefined, result: "Error" })
    assert.deepStrictEqual(failed, { ...plain, lastReconcile: { at: DateTime.formatIso(at(5)), result: "Error", error: "no plan" } })
  })

  it("the progress mark survives the round trip through the stored status", () => {
    const mark = planAt(0).progress
    const status = { progress: progressToStatus(mark) }
    assert.deepStrictEqual(progressFromStatus(status), mark)
    assert.isUndefined(progressFromStatus(undefined))
    assert.isUndefined(progressFromStatus({}))
    assert.isUndefined(progressFromStatus({ progress: { ...status.progress, at: "not a time" } }))
  })

  it("only the time and trace id of the last pass do not count as a change", () => {
    const first = nextStatus(facts(undefined, 0, { traceId: "a" }))
    const later = { ...first, lastReconcile: { ...first.lastReconcile!, at: DateTime.formatIso(at(60)), traceId: "b" } }
    assert.isFalse(statusChanged(first, later))
    assert.isTrue(statusChanged(first, { ...later, lastReconcile: { ...later.lastReconcile, error: "boom" } }))
    assert.isTrue(statusChanged(first, { ...first, lastReconcile: { ...first.lastReconcile!, result: "Error" } }))
    assert.isTrue(statusChanged(undefined, first))
    // A status stored without any pass recorded differs from one with a pass.
    const { lastReconcile, ...withoutPass } = first
    assert.isDefined(lastReconcile)
    assert.isTrue(statusChanged(withoutPass, first))
    assert.isFalse(statusChanged(withoutPass, { ...withoutPass }))
  })
})
