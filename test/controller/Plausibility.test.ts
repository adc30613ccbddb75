import { assert, describe, it } from "@effect/vitest"
import { appAnswerProblem, appsAnswerProblem, listShrinkProblem } from "../../src/controller/Plausibility.ts"
import { app, oldId, task, tasks } from "../plan/Fixtures.ts"

describe("plausibility of Marathon's answers (design §11)", () => {
  it("an app listed with fewer running tasks than its own tasksRunning is not believed", () => {
    const listed = { ...app(oldId(1), []), tasksRunning: 3 }
    assert.strictEqual(appAnswerProblem(listed)?.reason, "app_without_tasks")
    assert.isUndefined(appAnswerProblem({ ...app(oldId(1), tasks(oldId(1), "t", 3)), tasksRunning: 3 }))
    assert.isUndefined(appAnswerProblem({ ...app(oldId(1), tasks(oldId(1), "t", 3)), tasksRunning: 2 }), "more listed than counted: a task just started")
    assert.isUndefined(appAnswerProblem(app(oldId(1), [])), "no count in the answer: nothing to compare")
    const staging = { ...app(oldId(1), [task(oldId(1), "s", { state: "TASK_STAGING" })]), tasksRunning: 1 }
    assert.strictEqual(appAnswerProblem(staging)?.reason, "app_without_tasks", "only running tasks count against tasksRunning")
    assert.strictEqual(appsAnswerProblem([app(oldId(2), []), listed])?.reason, "app_without_tasks")
  })

  it("a list that lost more than half of the apps the last good list had is not believed", () => {
    assert.strictEqual(listShrinkProblem(10, 0)?.reason, "list_shrunk")
    assert.strictEqual(listShrinkProblem(10, 4)?.reason, "list_shrunk")
    assert.isUndefined(listShrinkProblem(10, 5), "exactly half is a plausible answer")
    assert.isUndefined(listShrinkProblem(1, 0), "one app gone is an ordinary delete")
    assert.isUndefined(listShrinkProblem(0, 0))
    assert.isUndefined(listShrinkProblem(3, 9))
  })
})
