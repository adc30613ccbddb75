import { assert, describe, it } from "@effect/vitest"
import { DateTime, Option } from "effect"
import type { Action } from "../../src/plan/Action.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { app, at, draining, drainState, hacheck, newId, observed, oldId, spec, task, tasks } from "./Fixtures.ts"

const types = (plan: Plan.Plan) => plan.actions.map((action) => action.type)
const ofType = <T extends Action["type"]>(plan: Plan.Plan, type: T) =>
  plan.actions.filter((action): action is Extract<Action, { type: T }> => action.type === type)
const taskIds = (plan: Plan.Plan, type: "drainTasks" | "stopDraining" | "killTasks") =>
  ofType(plan, type).flatMap((action) => action.tasks.map((t) => t.id)).sort()
const now = at(0)

describe("Plan.make (paasta-behaviour §1.8, §8 SMJ)", () => {
  it("34: create requested, new app absent, one task to drain: create once, drain it, delete nothing", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const old = app(oldId(1), [task(oldId(1), "a")])
    const plan = Plan.make(Option.some(desired), observed([old]), drainState({ drain: hacheck }), now)
    assert.deepStrictEqual(types(plan), ["createApp", "drainTasks"])
    assert.strictEqual(ofType(plan, "createApp")[0]?.appId, newId(desired))
    assert.strictEqual(plan.requeueAfterSeconds, 60)
  })

  it("35: create requested but the new app already runs: no create; drain, kill and delete the old app", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const current = app(newId(desired), [task(newId(desired), "n1")])
    const old = app(oldId(1), [task(oldId(1), "a")])
    const plan = Plan.make(Option.some(desired), observed([current, old]), drainState(), now)
    assert.deepStrictEqual(types(plan), ["drainTasks", "killTasks", "deleteApp"])
    assert.strictEqual(ofType(plan, "deleteApp")[0]?.appId, oldId(1))
  })

  it("36: one old happy task drained under a safe-to-kill method is drained, killed and its app deleted", () => {
    const desired = spec({ cmd: "serve", instances: 1 })
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), [task(newId(desired), "n1")]), app(oldId(1), [task(oldId(1), "a")])]),
      drainState(),
      now
    )
    assert.deepStrictEqual(types(plan), ["drainTasks", "killTasks", "deleteApp"])
    assert.deepStrictEqual(taskIds(plan, "drainTasks"), taskIds(plan, "killTasks"))
    assert.isTrue(ofType(plan, "killTasks")[0]?.scale)
  })

  it("37: an old app with no tasks is deleted", () => {
    const desired = spec({ cmd: "serve", instances: 1 })
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), [task(newId(desired), "n1")]), app(oldId(1), [], { instances: 2 })]),
      drainState(),
      now
    )
    assert.deepStrictEqual(plan.actions, [{ type: "deleteApp", appId: oldId(1) }])
  })

  it("38: new app running, no old apps, nothing to do: no action and no requeue", () => {
    const desired = spec({ cmd: "serve", instances: 2 })
    const plan = Plan.make(Option.some(desired), observed([app(newId(desired), tasks(newId(desired), "n", 2))]), drainState(), now)
    assert.deepStrictEqual(plan.actions, [])
    assert.isUndefined(plan.requeueAfterSeconds)
    assert.strictEqual(plan.phase, "Running")
    assert.deepStrictEqual(plan.conditions.map((c) => [c.type, c.status, c.reason]), [
      ["Ready", "True", "Running"],
      ["Progressing", "False", "Complete"],
      ["Stalled", "False", "Steady"]
    ])
  })

  it("39: three not-RUNNING unhappy old tasks chosen for draining are drained, killed, and the app deleted", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const old = app(oldId(1), tasks(oldId(1), "s", 3, { startedAgo: undefined, state: "TASK_STAGING" }))
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), [task(newId(desired), "n1")]), old]),
      drainState({ drain: hacheck }),
      now
    )
    assert.strictEqual(taskIds(plan, "drainTasks").length, 3)
    assert.strictEqual(taskIds(plan, "killTasks").length, 3)
    assert.deepStrictEqual(ofType(plan, "deleteApp").map((a) => a.appId), [oldId(1)])
  })

  it("40: planners see happy, unhappy and at-risk old tasks but never draining ones", () => {
    const desired = spec({ cmd: "serve", instances: 4, bounce: { method: "brutal" } })
    const oldTasks = [
      task(oldId(1), "happy", { alive: [true] }),
      task(oldId(1), "unhappy", { alive: [false] }),
      task(oldId(1), "risky", { alive: [true], host: "maint-1" }),
      task(oldId(1), "draining", { alive: [true] })
    ]
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), []), app(oldId(1), oldTasks, { healthCheck: true })], ["maint-1"]),
      drainState({ drain: hacheck, answers: [draining(oldTasks[3]!.id)] }),
      now
    )
    assert.deepStrictEqual(taskIds(plan, "drainTasks"), [oldTasks[0]!.id, oldTasks[1]!.id, oldTasks[2]!.id].sort())
    assert.deepStrictEqual(plan.observed, { newApp: true, happyNew: 0, oldHappy: 1, oldUnhappy: 1, draining: 1, atRisk: 1 })
  })

  it("42 / example 10: new app at 5 with 5 happy, desired 1: 4 handed over as old happy, no scale call", () => {
    const desired = spec({ cmd: "serve", instances: 1 })
    const id = newId(desired)
    const plan = Plan.make(Option.some(desired), observed([app(id, tasks(id, "n", 5))]), drainState({ drain: hacheck }), now)
    assert.deepStrictEqual(types(plan), ["drainTasks"])
    assert.strictEqual(taskIds(plan, "drainTasks").length, 4)
    assert.strictEqual(plan.tasks.oldHappy, 4)
    assert.strictEqual(plan.tasks.happyNew, 1)
    assert.strictEqual(plan.requeueAfterSeconds, 60)
    assert.strictEqual(plan.phase, "Bouncing")
  })

  it("example 10: 5 tasks (1 up, 4 draining), config 3: 2 draining victims stay draining, the others are undrained", () => {
    const desired = spec({ cmd: "serve", instances: 3 })
    const id = newId(desired)
    const all = tasks(id, "n", 5)
    const answers = all.slice(1).map((t) => draining(t.id))
    const plan = Plan.make(Option.some(desired), observed([app(id, all)]), drainState({ drain: hacheck, answers }), now)
    // PaaSTA calls stop_draining on all 3 non-victims; only the 2 that are draining need it.
    assert.deepStrictEqual(types(plan), ["stopDraining"])
    assert.deepStrictEqual(taskIds(plan, "stopDraining"), [all[3]!.id, all[4]!.id].sort())
    assert.strictEqual(plan.tasks.draining, 2)
    // The 2 put back this pass serve no traffic yet: only n1 counts.
    assert.strictEqual(plan.tasks.happyNew, 1)
  })

  it("example 11: configured 1 in Marathon, config 5, 5 tasks of which 2 on draining hosts: scale to 7", () => {
    const desired = spec({ cmd: "serve", instances: 5 })
    const id = newId(desired)
    const all = [...tasks(id, "ok", 3), ...tasks(id, "risk", 2, { host: "maint-1" })]
    const plan = Plan.make(Option.some(desired), observed([app(id, all, { instances: 1 })], ["maint-1"]), drainState(), now)
    assert.deepStrictEqual(plan.actions, [{ type: "scaleApp", appId: id, instances: 7, reason: "atRiskSurge" }])
    assert.strictEqual(plan.requeueAfterSeconds, 60)
  })

  it("at-risk surge in progress: at-risk tasks are removed before still-starting replacements", () => {
    const desired = spec({ cmd: "serve", instances: 2, drain: { method: "test" } })
    const id = newId(desired)
    const all = [...tasks(id, "risk", 2, { host: "maint-1" }), ...tasks(id, "fresh", 2, { startedAgo: undefined })]
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, all)], ["maint-1"]),
      drainState({ drain: { method: "test", onError: "retry", timeoutSeconds: 15 } }),
      now
    )
    // Nothing replaces them yet: crossover keeps both at-risk tasks in the load balancer.
    assert.deepStrictEqual(plan.actions, [])
    assert.strictEqual(plan.tasks.atRisk, 2)
    assert.strictEqual(plan.tasks.oldUnhappy, 0)
  })

  it("no slack scale-down while an app has tasks: Marathon 1.10 would kill running tasks before waiting instances", () => {
    const desired = spec({ cmd: "serve", instances: 50 })
    const id = newId(desired)
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, tasks(id, "n", 5), { instances: 100 }), app(oldId(1), tasks(oldId(1), "o", 3), { instances: 5 })]),
      drainState({ drain: hacheck }),
      now
    )
    assert.deepStrictEqual(ofType(plan, "scaleApp"), [])
    // An app with no task at all can only lose waiting instances: that scale-down is kept.
    const empty = Plan.make(Option.some(desired), observed([app(id, [], { instances: 100 })]), drainState({ drain: hacheck }), now)
    assert.deepStrictEqual(ofType(empty, "scaleApp").map((a) => [a.appId, a.instances, a.reason]), [[id, 50, "slack"]])
  })

  it("in-place scale up when instances grows: no new app id, no bounce", () => {
    const desired = spec({ cmd: "serve", instances: 5 })
    const id = newId(desired)
    const plan = Plan.make(Option.some(desired), observed([app(id, tasks(id, "n", 3))]), drainState(), now)
    assert.deepStrictEqual(plan.actions, [{ type: "scaleApp", appId: id, instances: 5, reason: "scaleUp" }])
    assert.strictEqual(plan.phase, "Pending")
  })

  it("new-app tasks left draining by an earlier bounce are put back into the load balancer (rollback)", () => {
    const desired = spec({ cmd: "serve", instances: 2 })
    const id = newId(desired)
    const all = tasks(id, "n", 2)
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, all)]),
      drainState({ drain: hacheck, answers: [draining(all[0]!.id)] }),
      now
    )
    assert.deepStrictEqual(plan.actions, [{
      type: "stopDraining",
      appId: id,
      tasks: [{ id: all[0]!.id, appId: id, host: "agent-1", ports: [31000], state: "TASK_RUNNING" }]
    }])
    assert.strictEqual(plan.requeueAfterSeconds, 60)
  })

  it("TASK_UNREACHABLE tasks are never drained or undrained, but killed", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const lost = task(oldId(1), "lost", { state: "TASK_UNREACHABLE" })
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), [task(newId(desired), "n1")]), app(oldId(1), [lost])]),
      drainState({ drain: hacheck }),
      now
    )
    assert.deepStrictEqual(types(plan), ["killTasks", "deleteApp"])
  })

  it("a draining task is killed when safe; a safe-to-kill error kills only with onError: kill", () => {
    const desired = spec({ cmd: "serve", instances: 1 })
    const [a, b, c] = tasks(oldId(1), "o", 3)
    const apps = [app(newId(desired), [task(newId(desired), "n1")]), app(oldId(1), [a!, b!, c!])]
    const answers = [draining(a!.id, true), draining(b!.id, "error"), draining(c!.id, false)]
    const retry = Plan.make(Option.some(desired), observed(apps), drainState({ drain: hacheck, answers }), now)
    assert.deepStrictEqual(taskIds(retry, "killTasks"), [a!.id])
    const kill = Plan.make(Option.some(desired), observed(apps), drainState({ drain: { ...hacheck, onError: "kill" }, answers }), now)
    assert.deepStrictEqual(taskIds(kill, "killTasks"), [a!.id, b!.id].sort())
    assert.strictEqual(types(kill).includes("deleteApp"), false)
  })

  it("requeues sooner when a draining task is known to become safe before 60 s", () => {
    const desired = spec({ cmd: "serve", instances: 1 })
    const old = task(oldId(1), "o1")
    const plan = Plan.make(
      Option.some(desired),
      observed([app(newId(desired), [task(newId(desired), "n1")]), app(oldId(1), [old])]),
      drainState({ drain: hacheck, answers: [[old.id, { draining: true, safeToKill: false, safeAt: at(7.5) }]] }),
      now
    )
    assert.strictEqual(plan.requeueAfterSeconds, 8)
  })

  it("never touches an app without MDEPLOY_MANAGED, even with the instance's prefix or the desired id", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const foreign = app(oldId(1), tasks(oldId(1), "x", 2), { managed: false, instances: 5 })
    const plan = Plan.make(Option.some(desired), observed([foreign]), drainState(), now)
    assert.deepStrictEqual(types(plan), ["createApp"])
    const squatter = app(newId(desired), [], { managed: false })
    const blocked = Plan.make(Option.some(desired), observed([squatter, foreign]), drainState(), now)
    assert.deepStrictEqual(blocked.actions, [])
    assert.strictEqual(blocked.phase, "Stalled")
    assert.strictEqual(blocked.conditions.find((c) => c.type === "Stalled")?.reason, "UnmanagedAppConflict")
  })

  it("deleted instance (no desired spec): drains, kills and deletes every managed app, nothing else", () => {
    const apps = [app(oldId(1), tasks(oldId(1), "a", 2)), app(oldId(2), []), app(oldId(3), [], { managed: false })]
    const plan = Plan.make(Option.none(), observed(apps), drainState(), now)
    assert.deepStrictEqual(types(plan), ["drainTasks", "killTasks", "deleteApp", "deleteApp"])
    assert.deepStrictEqual(ofType(plan, "deleteApp").map((a) => a.appId).sort(), [oldId(1), oldId(2)])
    assert.isUndefined(plan.appId)
    assert.strictEqual(plan.method, "down")
    const hacheckPlan = Plan.make(Option.none(), observed(apps), drainState({ drain: hacheck }), now)
    assert.deepStrictEqual(types(hacheckPlan), ["drainTasks", "deleteApp"])
    const done = Plan.make(Option.none(), observed([apps[2]!]), drainState(), now)
    assert.deepStrictEqual(done.actions, [])
    assert.isUndefined(done.requeueAfterSeconds)
  })

  it("paused: observes and reports, takes no action, does not requeue", () => {
    const desired = spec({ cmd: "serve", instances: 1, paused: true })
    const plan = Plan.make(Option.some(desired), observed([app(oldId(1), [task(oldId(1), "a")])]), drainState(), now)
    assert.deepStrictEqual(plan.actions, [])
    assert.isUndefined(plan.requeueAfterSeconds)
    assert.strictEqual(plan.tasks.oldHappy, 1)
    assert.strictEqual(plan.conditions.find((c) => c.type === "Progressing")?.reason, "Paused")
  })

  it("Stalled once no progress happened for progressDeadlineSeconds; progress resets the clock", () => {
    const desired = spec({ cmd: "serve", instances: 2, bounce: { progressDeadlineSeconds: 600 } })
    const id = newId(desired)
    const apps = [app(id, tasks(id, "n", 2, { startedAgo: undefined })), app(oldId(1), tasks(oldId(1), "o", 2))]
    const first = Plan.make(Option.some(desired), observed(apps), drainState(), now)
    assert.notStrictEqual(first.phase, "Stalled")
    const later = (seconds: number, previous: Plan.Plan) =>
      Plan.make(Option.some(desired), observed(apps), { ...drainState(), progress: previous.progress }, at(seconds))
    const before = later(599, first)
    assert.strictEqual(before.phase, "Bouncing")
    const stalled = later(600, before)
    assert.strictEqual(stalled.phase, "Stalled")
    assert.deepStrictEqual(stalled.conditions.map((c) => [c.type, c.status, c.reason]), [
      ["Ready", "False", "Stalled"],
      ["Progressing", "False", "ProgressDeadlineExceeded"],
      ["Stalled", "True", "ProgressDeadlineExceeded"]
    ])
    const progressed = [app(id, tasks(id, "n", 2)), app(oldId(1), tasks(oldId(1), "o", 2))]
    const moving = Plan.make(Option.some(desired), observed(progressed), { ...drainState(), progress: stalled.progress }, at(700))
    assert.notStrictEqual(moving.phase, "Stalled")
    assert.isTrue(DateTime.Equivalence(moving.progress.at, at(700)))
  })

  it("#20: healthy tasks of an intermediate version are kept while the desired app is not healthy", () => {
    const desired = spec({ cmd: "serve", instances: 4, bounce: { marginFactor: 0.5 } })
    const id = newId(desired)
    const apps = [
      app(id, tasks(id, "c", 4, { startedAgo: undefined })),
      app(oldId(1), tasks(oldId(1), "a", 2), { version: "2024-01-01T00:00:00.000Z" }),
      app(oldId(2), tasks(oldId(2), "b", 4), { version: "2024-02-01T00:00:00.000Z" })
    ]
    const plan = Plan.make(Option.some(desired), observed(apps), drainState({ drain: hacheck }), now)
    // needed = 2: keeps two of B (newest version first) and drains A's two; B's surplus is held back.
    assert.deepStrictEqual(taskIds(plan, "drainTasks"), tasks(oldId(1), "a", 2).map((t) => t.id).sort())
  })

  it("inside a bucket older versions and older tasks are drained first", () => {
    const desired = spec({ cmd: "serve", instances: 3 })
    const id = newId(desired)
    const apps = [
      app(id, tasks(id, "c", 1)),
      app(oldId(2), [task(oldId(2), "b-young", { startedAgo: 100 }), task(oldId(2), "b-old", { startedAgo: 900 })], {
        version: "2024-02-01T00:00:00.000Z"
      }),
      app(oldId(1), [task(oldId(1), "a1", { startedAgo: 50 })], { version: "2024-01-01T00:00:00.000Z" })
    ]
    const plan = Plan.make(Option.some(desired), observed(apps), drainState({ drain: hacheck }), now)
    // needed = 2 of 3 old happy: the one drained is from the oldest version A.
    assert.deepStrictEqual(taskIds(plan, "drainTasks"), [task(oldId(1), "a1").id])
    const fewer = Plan.make(
      Option.some(spec({ cmd: "serve", instances: 2 })),
      observed([app(newId(spec({ cmd: "serve", instances: 2 })), tasks(newId(spec({ cmd: "serve", instances: 2 })), "c", 1)), apps[1]!]),
      drainState({ drain: hacheck }),
      now
    )
    assert.deepStrictEqual(taskIds(fewer, "drainTasks"), [task(oldId(2), "b-old").id])
  })

  it("toDocument follows the design.md §5 contract", () => {
    const desired = spec({ cmd: "serve", instances: 1, bounce: { method: "brutal" } })
    const old = app(oldId(1), [task(oldId(1), "a")], { instances: 2 })
    const document = Plan.toDocument(Plan.make(Option.some(desired), observed([old]), drainState(), now))
    assert.deepStrictEqual(Object.keys(document), [
      "name",
      "appId",
      "method",
      "observed",
      "actions",
      "requeueAfterSeconds",
      "phase",
      "summary",
      "conditions",
      "tasks"
    ])
    assert.deepStrictEqual(document.actions, [
      { type: "createApp", appId: newId(desired) },
      { type: "drainTasks", taskIds: [old.tasks[0]!.id] },
      { type: "killTasks", taskIds: [old.tasks[0]!.id], scale: true },
      { type: "deleteApp", appId: oldId(1) }
    ])
    assert.strictEqual(document.requeueAfterSeconds, 1)
    assert.strictEqual(
      document.summary,
      "brutal: 0/1 new happy, 1 old happy, 0 old unhappy, 0 draining, 0 at risk, 1 old app, new app not created yet"
    )
    assert.deepStrictEqual(JSON.parse(JSON.stringify(document)), document)
  })
})
