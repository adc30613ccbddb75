import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { observedInstance } from "../../src/plan/Observed.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { app, at, drainState, name, newId, oldId, spec, task, tasks } from "./Fixtures.ts"

describe("observedInstance", () => {
  it("leaves out tasks already being killed: a TASK_KILLING task is neither drained nor killed again", () => {
    const desired = spec({ cmd: "serve", instances: 2, bounce: { method: "crossover" } })
    const running = task(oldId(1), "a")
    const killing = task(oldId(1), "k", { state: "TASK_KILLING" })
    const apps = [app(newId(desired), tasks(newId(desired), "n", 2)), app(oldId(1), [running, killing])]
    const observed = observedInstance(name, apps)
    assert.deepStrictEqual(observed.apps.find((each) => each.id === oldId(1))?.tasks, [running])

    // The old app's last live task is drained and killed; the one Marathon is killing already is in no action.
    const plan = Plan.make(Option.some(desired), observed, drainState(), at(0))
    const touched = (type: "drainTasks" | "killTasks") =>
      plan.actions.flatMap((action) => action.type === type ? action.tasks.map((each) => each.id) : [])
    assert.deepStrictEqual(touched("drainTasks"), [running.id])
    assert.deepStrictEqual(touched("killTasks"), [running.id])
    assert.notInclude(JSON.stringify(Plan.toDocument(plan)), killing.id)
  })
})
