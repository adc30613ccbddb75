import { assert, describe, it } from "@effect/vitest"
import type { ClassifyContext } from "../../src/bounce/Classify.ts"
import { classifyTask, isHappy, isOldTaskMissingHealth, isStarted } from "../../src/bounce/Classify.ts"
import { app, at, drainState, oldId, task } from "../plan/Fixtures.ts"

const now = at(0)
const context = (overrides: Partial<ClassifyContext> = {}): ClassifyContext => ({
  now,
  minTaskUptimeSeconds: 0,
  drainingHosts: new Set(),
  drain: drainState(),
  ...overrides
})
const id = oldId(1)

describe("task classification (paasta-behaviour §4.1, §8 happiness)", () => {
  it("21: app without health checks: every started task is happy, staging ones are not", () => {
    const unchecked = app(id, [])
    assert.isTrue(isHappy(task(id, "a"), unchecked, now, 0))
    assert.isTrue(isHappy(task(id, "b", { startedAgo: 1 }), unchecked, now, 0))
    assert.isFalse(isHappy(task(id, "c", { startedAgo: undefined }), unchecked, now, 0))
  })

  it("22: app with health checks: recently started tasks without results are not happy", () => {
    const checked = app(id, [], { healthCheck: true })
    assert.isFalse(isHappy(task(id, "a", { startedAgo: 30 }), checked, now, 0))
    assert.isFalse(isHappy(task(id, "b", { startedAgo: 100 }), checked, now, 0))
  })

  it("23: a task started 20 days ago without results and two with passing results are all happy", () => {
    const checked = app(id, [], { healthCheck: true })
    const old = task(id, "old", { startedAgo: 20 * 86400 })
    assert.isTrue(isHappy(old, checked, now, 0))
    assert.isTrue(isHappy(task(id, "b", { alive: [true] }), checked, now, 0))
    assert.isTrue(isHappy(task(id, "c", { alive: [true] }), checked, now, 0))
  })

  it("24: with a mix of failing and passing single results, only the passing ones are happy", () => {
    const checked = app(id, [], { healthCheck: true })
    assert.isTrue(isHappy(task(id, "up", { alive: [true] }), checked, now, 0))
    assert.isFalse(isHappy(task(id, "down", { alive: [false] }), checked, now, 0))
  })

  it("25/32: any-of: one passing and one failing result is happy; two failing is not", () => {
    const checked = app(id, [], { healthCheck: true })
    assert.isTrue(isHappy(task(id, "mixed", { alive: [true, false] }), checked, now, 0))
    assert.isFalse(isHappy(task(id, "failing", { alive: [false, false] }), checked, now, 0))
  })

  it("31: 'old task missing health checks' only with checks, no results, started, before grace + 5 × interval", () => {
    const checked = app(id, [], { healthCheck: true }) // grace 60, interval 10 ⇒ 110 s
    const unchecked = app(id, [])
    assert.isTrue(isOldTaskMissingHealth(task(id, "a", { startedAgo: 111 }), checked, now))
    assert.isFalse(isOldTaskMissingHealth(task(id, "b", { startedAgo: 110 }), checked, now))
    assert.isFalse(isOldTaskMissingHealth(task(id, "c", { startedAgo: 111 }), unchecked, now))
    assert.isFalse(isOldTaskMissingHealth(task(id, "d", { startedAgo: 111, alive: [false] }), checked, now))
    assert.isFalse(isOldTaskMissingHealth(task(id, "e", { startedAgo: undefined }), checked, now))
  })

  it("minTaskUptimeSeconds: a task is happy only after running that long", () => {
    const unchecked = app(id, [])
    assert.isFalse(isHappy(task(id, "young", { startedAgo: 29 }), unchecked, now, 30))
    assert.isTrue(isHappy(task(id, "grown", { startedAgo: 30 }), unchecked, now, 30))
  })

  it("57: (up,happy), (up,unhappy), (down,unhappy) give one happy, one unhappy, one draining; none at risk", () => {
    const checked = app(id, [], { healthCheck: true })
    const tasks = [
      task(id, "upHappy", { alive: [true] }),
      task(id, "upUnhappy", { alive: [false] }),
      task(id, "downUnhappy", { alive: [false] })
    ]
    const drain = drainState({
      answers: [[tasks[2]!.id, { draining: true }], [tasks[0]!.id, { draining: false }], [tasks[1]!.id, { draining: false }]]
    })
    const buckets = tasks.map((t) => classifyTask(t, checked, context({ drain })))
    assert.deepStrictEqual(buckets, ["happy", "unhappy", "draining"])
  })

  it("58: an is_draining error makes the task unhappy, never draining or happy", () => {
    const healthy = task(id, "a", { alive: [true] })
    const drain = drainState({ answers: [[healthy.id, { draining: "error" }]] })
    assert.strictEqual(classifyTask(healthy, app(id, [], { healthCheck: true }), context({ drain })), "unhappy")
  })

  it("maintenance: a happy task on a draining host is at risk, an unhappy one stays unhappy, draining wins", () => {
    const checked = app(id, [], { healthCheck: true })
    const hosts = new Set(["agent-9"])
    assert.strictEqual(
      classifyTask(task(id, "a", { host: "agent-9", alive: [true] }), checked, context({ drainingHosts: hosts })),
      "atRisk"
    )
    assert.strictEqual(
      classifyTask(task(id, "b", { host: "agent-9", alive: [false] }), checked, context({ drainingHosts: hosts })),
      "unhappy"
    )
    const draining = task(id, "c", { host: "agent-9", alive: [true] })
    const drain = drainState({ answers: [[draining.id, { draining: true }]] })
    assert.strictEqual(classifyTask(draining, checked, context({ drainingHosts: hosts, drain })), "draining")
  })

  it("without an answer from the drain method a drain record counts as draining", () => {
    const t = task(id, "a")
    const drain = drainState({ records: [[t.id, { requestedAt: now, method: "test", appId: id }]] })
    assert.strictEqual(classifyTask(t, app(id, []), context({ drain })), "draining")
  })

  it("a task is started only when it is running and Marathon gave it a start time", () => {
    assert.isTrue(isStarted(task(id, "a")))
    // A start time stays on a task Marathon is killing: it is no longer started.
    assert.isFalse(isStarted(task(id, "k", { state: "TASK_KILLING" })))
    // Reported running before its start time arrived (an answer from mid-update): not yet.
    assert.isFalse(isStarted(task(id, "r", { startedAgo: undefined, state: "TASK_RUNNING" })))
    assert.isFalse(isHappy(task(id, "k", { state: "TASK_KILLING" }), app(id, []), now, 0))
  })
})
