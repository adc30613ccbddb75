import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import type { Action } from "../../src/plan/Action.ts"
import * as Plan from "../../src/plan/Plan.ts"
import type { SimOptions, StepResult } from "../bounceSim/Simulator.ts"
import { BounceSim } from "../bounceSim/Simulator.ts"
import { app, at, drainState, name, newId, observed, oldId, spec, tasks } from "./Fixtures.ts"

// The worked examples of paasta-behaviour §4.9, pass by pass (one pass ≈ 60 s).
const sim = (options: Partial<SimOptions>) =>
  new BounceSim({
    name,
    drain: "noop",
    healthDelay: () => 10,
    drainDelay: () => 60,
    stepSeconds: 60,
    ...options
  })
const types = (step: StepResult) => step.plan.actions.map((action) => action.type)
const count = (step: StepResult, type: "drainTasks" | "killTasks") =>
  step.plan.actions
    .filter((action): action is Extract<Action, { type: typeof type }> => action.type === type)
    .reduce((n, action) => n + action.tasks.length, 0)
const instancesOf = (s: BounceSim, id: string) => s.apps.find((a) => a.id === id)?.instances
const desired = (overrides: ServiceInstanceSpec) =>
  spec({ cmd: "serve", healthCheck: { protocol: "COMMAND", command: "true" }, ...overrides })

describe("worked examples (paasta-behaviour §4.9)", () => {
  it("1: crossover, I=3, margin 1, drains safe after 60 s: create, drain 1, kill 1 + drain 2, kill 2 + delete, steady", () => {
    const target = desired({ instances: 3 })
    // B's first task is healthy before pass 2, the other two before pass 3.
    const s = sim({ drain: "delayed", healthDelay: (seq) => (seq === 4 ? 10 : 70) })
    s.seedApp(oldId(1), 3)
    const steps = [1, 2, 3, 4, 5].map(() => s.step(Option.some(target)))
    assert.deepStrictEqual(steps.map(types), [
      ["createApp"],
      ["drainTasks"],
      ["drainTasks", "killTasks"],
      ["killTasks", "deleteApp"],
      []
    ])
    assert.deepStrictEqual(steps.map((step) => [count(step, "drainTasks"), count(step, "killTasks")]), [[0, 0], [1, 0], [2, 1], [0, 2], [
      0,
      0
    ]])
    // A pass that starts drains comes back after the drain method's own wait (noop: 1 s) rather
    // than PaaSTA's fixed 60 s: nothing else would tell the controller the drain is done.
    assert.deepStrictEqual(steps.map((step) => step.plan.requeueAfterSeconds), [60, 1, 1, 60, undefined])
    // Happy new + undrained old never drops below I = 3.
    for (const step of steps) assert.isAtLeast(step.inLbAfter, 3)
    assert.strictEqual(steps[4]!.plan.phase, "Running")
  })

  it("2: crossover, I=2, noop: create; one old task drained and killed; last one killed and app deleted", () => {
    const target = desired({ instances: 2 })
    const s = sim({ healthDelay: (seq) => (seq === 3 ? 10 : 70) })
    s.seedApp(oldId(1), 2)
    const run1 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run1), ["createApp"])
    assert.strictEqual(instancesOf(s, oldId(1)), 2)
    const run2 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run2), ["drainTasks", "killTasks"])
    assert.strictEqual(instancesOf(s, oldId(1)), 1)
    const run3 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run3), ["drainTasks", "killTasks", "deleteApp"])
    assert.isUndefined(instancesOf(s, oldId(1)))
  })

  it("3: crossover with a drain that must be confirmed: the task waits, then is killed without draining another", () => {
    const target = desired({ instances: 2, drain: { method: "test" } })
    const confirmed = new Set<number>()
    const s = sim({
      drain: "delayed",
      healthDelay: (seq) => (seq === 3 ? 10 : undefined),
      drainDelay: (seq) => (confirmed.has(seq) ? 0 : 100_000)
    })
    s.seedApp(oldId(1), 2)
    s.step(Option.some(target))
    const run2 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run2), ["drainTasks"])
    assert.strictEqual(instancesOf(s, oldId(1)), 2)
    const drainedSeq = Number(s.apps[0]!.tasks.find((t) => s.records.has(t.id))!.seq)
    confirmed.add(drainedSeq)
    const run3 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run3), ["killTasks"])
    assert.strictEqual(instancesOf(s, oldId(1)), 1)
  })

  it("4: a crashing drain backend: is_draining errors ⇒ unhappy, is_safe_to_kill errors ⇒ killed with onError kill", () => {
    const target = desired({ instances: 2 })
    const newApp = app(newId(target), tasks(newId(target), "n", 1))
    const old = app(oldId(1), tasks(oldId(1), "o", 2))
    const crashy = { method: "hacheck", onError: "kill", timeoutSeconds: 15 } as const
    const run2 = Plan.make(
      Option.some(target),
      observed([newApp, old]),
      drainState({
        drain: crashy,
        answers: old.tasks.map((t) => [t.id, { draining: "error" }] as const)
      }),
      at(60)
    )
    assert.strictEqual(run2.tasks.oldUnhappy, 2)
    assert.strictEqual(run2.actions.filter((a) => a.type === "drainTasks").length, 1)
    const run3 = Plan.make(
      Option.some(target),
      observed([newApp, old]),
      drainState({
        drain: crashy,
        answers: [[old.tasks[0]!.id, { draining: true, safeToKill: "error" }], [old.tasks[1]!.id, { draining: "error" }]]
      }),
      at(120)
    )
    assert.deepStrictEqual(
      run3.actions.filter((a) => a.type === "killTasks").flatMap((a) => a.type === "killTasks" ? a.tasks.map((t) => t.id) : []),
      [old.tasks[0]!.id]
    )
  })

  it("5: crossover with a new version that never gets healthy stalls safely, then reports Stalled", () => {
    const target = desired({ instances: 2, bounce: { progressDeadlineSeconds: 600 } })
    const s = sim({ drain: "delayed", healthDelay: (seq) => (seq <= 2 ? 10 : undefined) })
    s.seedApp(oldId(1), 2)
    const steps = Array.from({ length: 12 }, () => s.step(Option.some(target)))
    for (const step of steps) assert.strictEqual(count(step, "drainTasks") + count(step, "killTasks"), 0)
    assert.strictEqual(instancesOf(s, oldId(1)), 2)
    assert.strictEqual(steps[5]!.plan.phase, "Bouncing")
    assert.strictEqual(steps[11]!.plan.phase, "Stalled")
    assert.strictEqual(steps[11]!.plan.conditions.find((c) => c.type === "Stalled")?.status, "True")
  })

  it("6: upthendown, I=2: nothing drained with 0 or 1 happy; all old drained, killed and deleted with 2", () => {
    const target = desired({ instances: 2, bounce: { method: "upthendown" } })
    const s = sim({ healthDelay: (seq) => (seq === 3 ? 10 : 70) })
    s.seedApp(oldId(1), 2)
    const steps = [1, 2, 3].map(() => s.step(Option.some(target)))
    assert.deepStrictEqual(steps.map(types), [["createApp"], [], ["drainTasks", "killTasks", "deleteApp"]])
    const unhealthy = sim({ healthDelay: (seq) => (seq <= 2 ? 10 : undefined) })
    unhealthy.seedApp(oldId(1), 2)
    const stuck = Array.from({ length: 5 }, () => unhealthy.step(Option.some(target)))
    assert.strictEqual(stuck.reduce((n, step) => n + count(step, "drainTasks"), 0), 0)
    assert.strictEqual(instancesOf(unhealthy, oldId(1)), 2)
  })

  it("7: downthenup, I=2: noop drains and deletes first, creates next pass; a slow drain creates while old tasks drain", () => {
    const target = desired({ instances: 2, bounce: { method: "downthenup" } })
    const s = sim({})
    s.seedApp(oldId(1), 2)
    const run1 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run1), ["drainTasks", "killTasks", "deleteApp"])
    assert.strictEqual(s.apps.length, 0)
    assert.deepStrictEqual(types(s.step(Option.some(target))), ["createApp"])

    const slow = sim({ drain: "delayed", drainDelay: () => 90 })
    slow.seedApp(oldId(1), 2)
    assert.deepStrictEqual(types(slow.step(Option.some(target))), ["drainTasks"])
    const run2 = slow.step(Option.some(target))
    assert.deepStrictEqual(types(run2), ["createApp"])
    assert.strictEqual(run2.plan.tasks.draining, 2)
    assert.deepStrictEqual(types(slow.step(Option.some(target))), ["killTasks", "deleteApp"])
  })

  it("8: brutal creates the new app and drains, kills and deletes every old task in the first pass", () => {
    const target = desired({ instances: 2, bounce: { method: "brutal" } })
    const s = sim({})
    s.seedApp(oldId(1), 2)
    const run1 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run1), ["createApp", "drainTasks", "killTasks", "deleteApp"])
    assert.strictEqual(count(run1, "killTasks"), 2)
  })

  it("9: stop with a 60 s drain: drain all 3, kill them once safe, then Stopped with the app kept at 0", () => {
    const running = desired({ instances: 3 })
    const stopped = desired({ instances: 3, desiredState: "stop" })
    assert.strictEqual(newId(running), newId(stopped))
    const s = sim({ drain: "delayed" })
    s.seedApp(newId(running), 3)
    const run1 = s.step(Option.some(stopped))
    assert.deepStrictEqual(types(run1), ["drainTasks"])
    assert.strictEqual(count(run1, "drainTasks"), 3)
    const run2 = s.step(Option.some(stopped))
    assert.deepStrictEqual(types(run2), ["killTasks"])
    assert.strictEqual(run2.plan.requeueAfterSeconds, 60)
    assert.strictEqual(instancesOf(s, newId(running)), 0)
    const run3 = s.step(Option.some(stopped))
    assert.deepStrictEqual(types(run3), [])
    assert.strictEqual(run3.plan.phase, "Stopped")
    assert.isUndefined(run3.plan.requeueAfterSeconds)
    // paasta start: scale back up in place, no new app.
    assert.deepStrictEqual(s.step(Option.some(running)).plan.actions.map((a) => a.type), ["scaleApp"])
  })

  it("10/11: at-risk tasks are surged around, drained once replacements are happy, then the app shrinks back", () => {
    const target = desired({ instances: 3 })
    const s = sim({ drainingHosts: ["maint-1"], hostOf: (seq) => (seq === 1 ? "maint-1" : `agent-${seq}`) })
    s.seedApp(newId(target), 3)
    const run1 = s.step(Option.some(target))
    assert.deepStrictEqual(run1.plan.actions.map((a) => a.type === "scaleApp" ? [a.type, a.instances] : [a.type]), [["scaleApp", 4]])
    const run2 = s.step(Option.some(target))
    assert.deepStrictEqual(types(run2), ["drainTasks", "killTasks"])
    assert.strictEqual(instancesOf(s, newId(target)), 3)
    const run3 = s.step(Option.some(target))
    assert.strictEqual(run3.plan.phase, "Running")
    assert.deepStrictEqual(types(run3), [])
  })

  it("12 (planning side): a racing creator's app is simply the new app on the next pass", () => {
    const target = desired({ instances: 1 })
    const raced = Plan.make(Option.some(target), observed([app(newId(target), tasks(newId(target), "n", 1))]), drainState(), at(0))
    assert.deepStrictEqual(raced.actions, [])
  })
})
