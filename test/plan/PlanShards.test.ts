// A shard move as the pure planner sees it: the desired app id on a shard other than the
// instance's is an old app (PaaSTA's previous_marathon_servers), so moving is a crossover like any
// bounce, and every write names the shard of the app it is about.
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { Action } from "../../src/plan/Action.ts"
import type { ObservedApp } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { app, at, drainState, newId, observed, spec, tasks } from "./Fixtures.ts"

const now = at(0)
const on = (shard: string, observedApp: ObservedApp): ObservedApp => ({ ...observedApp, shard })
const onShard = (apps: ReadonlyArray<ObservedApp>, shard: string) => ({ ...observed(apps), shard })
const ofType = <T extends Action["type"]>(plan: Plan.Plan, type: T) =>
  plan.actions.filter((action): action is Extract<Action, { type: T }> => action.type === type)

describe("Plan.make across Marathon shards", () => {
  const desired = spec({ cmd: "serve", instances: 3 })
  const id = newId(desired)

  it("the desired app on another shard is old: the app is created on the instance's shard, nothing on the old one goes yet", () => {
    const plan = Plan.make(Option.some(desired), onShard([on("a", app(id, tasks(id, "a", 3)))], "b"), drainState(), now)
    assert.deepStrictEqual(plan.actions.map((action) => action.type), ["createApp"])
    assert.strictEqual(ofType(plan, "createApp")[0]?.shard, "b")
    assert.strictEqual(plan.tasks.oldHappy, 3)
    assert.strictEqual(plan.shard, "b")
    assert.deepStrictEqual(Plan.toDocument(plan).actions, [{ type: "createApp", appId: id, shard: "b" }])
  })

  it("a crossover between shards: old tasks go only as new ones are happy, each write to the old app's shard", () => {
    // The same id lives on both shards: one new task happy on b, three old ones on a.
    const newApp = on("b", app(id, tasks(id, "b", 1), { instances: 3 }))
    const oldApp = on("a", app(id, tasks(id, "a", 3)))
    const plan = Plan.make(Option.some(desired), onShard([oldApp, newApp], "b"), drainState(), now)
    const drained = ofType(plan, "drainTasks")
    assert.strictEqual(drained.length, 1)
    assert.strictEqual(drained[0]?.shard, "a")
    assert.strictEqual(drained[0]?.tasks.length, 1, "one happy new task frees one old task, no more")
    for (const task of drained[0]?.tasks ?? []) assert.strictEqual(task.shard, "a")
    for (const kill of ofType(plan, "killTasks")) for (const task of kill.tasks) assert.strictEqual(task.shard, "a")
    assert.deepStrictEqual(ofType(plan, "deleteApp"), [])
    assert.strictEqual(plan.tasks.happyNew, 1)
  })

  it("once the new app is healthy on its shard, the old shard's app is drained, killed and deleted there", () => {
    const newApp = on("b", app(id, tasks(id, "b", 3)))
    const oldApp = on("a", app(id, tasks(id, "a", 3)))
    const plan = Plan.make(Option.some(desired), onShard([oldApp, newApp], "b"), drainState(), now)
    assert.deepStrictEqual(plan.actions.map((action) => action.type), ["drainTasks", "killTasks", "deleteApp"])
    assert.deepStrictEqual(ofType(plan, "deleteApp"), [{ type: "deleteApp", appId: id, shard: "a" }])
    assert.strictEqual(ofType(plan, "killTasks")[0]?.tasks.length, 3)
  })

  it("the desired app on the instance's own shard is the new app: steady, nothing to do", () => {
    const plan = Plan.make(Option.some(desired), onShard([on("b", app(id, tasks(id, "b", 3)))], "b"), drainState(), now)
    assert.deepStrictEqual(plan.actions, [])
    assert.strictEqual(plan.phase, "Running")
  })

  it("a tear-down deletes the apps of every shard, each on its own", () => {
    const plan = Plan.make(
      Option.none(),
      observed([on("a", app(id, [])), on("b", app(id, []))]),
      drainState(),
      now
    )
    assert.deepStrictEqual(ofType(plan, "deleteApp").map((action) => action.shard).sort(), ["a", "b"])
  })
})
