import { assert, describe, it } from "@effect/vitest"
import { DateTime } from "effect"
import { isHappy } from "../../src/bounce/Classify.ts"
import { observedInstance } from "../../src/plan/Observed.ts"
import { withObservedStarts } from "../../src/plan/ObservedAge.ts"
import { app, at, name, oldId, task } from "../plan/Fixtures.ts"

// Marathon's clock behind the controller's must not make a task look old enough to be trusted.
describe("task ages on the controller's clock (design §11)", () => {
  const checked = (startedAgo: number) => ({
    ...app(oldId(1), [task(oldId(1), "n", { startedAgo })]),
    healthCheck: { gracePeriodSeconds: 60, intervalSeconds: 10 }
  })

  it("a task first seen now is young, whatever Marathon's startedAt says", () => {
    // By Marathon's clock (skewed) the task started an hour ago and has no health results.
    const raw = observedInstance(name, [checked(3600)])
    const now = DateTime.toEpochMillis(at(0))
    assert.isTrue(isHappy(raw.apps[0]!.tasks[0]!, raw.apps[0]!, at(0), 0), "without the fix the skewed task is trusted")
    const { observed, sightings } = withObservedStarts(raw, new Map(), now)
    assert.isFalse(isHappy(observed.apps[0]!.tasks[0]!, observed.apps[0]!, at(0), 0))
    // Still seen after grace + 5 × interval (110 s) on our own clock: trusted.
    const later = withObservedStarts(raw, sightings, now + 111_000)
    assert.isTrue(
      isHappy(later.observed.apps[0]!.tasks[0]!, later.observed.apps[0]!, DateTime.toUtc(DateTime.makeUnsafe(now + 111_000)), 0)
    )
  })

  it("forgets tasks no longer listed, and ignores tasks that are not running", () => {
    const raw = observedInstance(name, [
      app(oldId(1), [task(oldId(1), "a"), task(oldId(1), "s", { startedAgo: undefined, state: "TASK_STAGING" })])
    ])
    const { sightings } = withObservedStarts(raw, new Map([["gone", 1]]), 5)
    assert.deepStrictEqual([...sightings.keys()], [raw.apps[0]!.tasks[0]!.id])
  })
})
