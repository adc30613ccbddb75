import { assert, describe, it } from "@effect/vitest"
import { appAnswerProblem, appsAnswerProblem, listShrinkProblem } from "../../src/controller/Plausibility.ts"
import { app, oldId, task, tasks } from "../plan/Fixtures.ts"

describe("plausibility of Marathon's answers (design §11)", () => {
  it("an app listed with fewer running tasks than its own tasksRunning is not believed", () => {
    const listed = { ...app(oldId(1), []), tasksRunning: 3 }
    assert.strictEqual(appAnswerProblem(listed)?.reason, "app_without_tasks")
    assert.isUndefined(appAnswerProblem({ ...app(oldId(1), tasks(oldId(1), "t", 3)), tasksRunning: 3 }))
    assert.isUndefined(
      appAnswerProblem({ ...app(oldId(1), tasks(oldId(1), "t", 3)), tasksRunning: 2 }),
      "more listed than counted: a task just started"
    )
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

  it("counts each running task once and says what was listed against what was counted", () => {
    const twoOfThree = { ...app(oldId(1), [...tasks(oldId(1), "t", 2), task(oldId(1), "k", { state: "TASK_KILLING" })]), tasksRunning: 3 }
    assert.deepStrictEqual(appAnswerProblem(twoOfThree), {
      reason: "app_without_tasks",
      message: `Marathon listed ${oldId(1)} with 2 running task(s) but tasksRunning=3`
    })
    assert.isUndefined(appAnswerProblem({ ...app(oldId(1), tasks(oldId(1), "t", 1)), tasksRunning: 1 }), "one listed, one counted")
    assert.isUndefined(appsAnswerProblem([]))
    assert.isUndefined(appsAnswerProblem([app(oldId(1), []), { ...app(oldId(2), tasks(oldId(2), "t", 2)), tasksRunning: 2 }]))
    // The first implausible app is the one reported.
    const other = { ...app(oldId(3), []), tasksRunning: 1 }
    assert.match(appsAnswerProblem([twoOfThree, other])!.message, /with 2 running/)
  })

  it("two apps dropping to none is already a shrink; the message gives both counts", () => {
    assert.deepStrictEqual(listShrinkProblem(2, 0), {
      reason: "list_shrunk",
      message: "Marathon listed 0 of this installation's apps where the last good list had 2"
    })
    assert.isUndefined(listShrinkProblem(2, 1))
    assert.isUndefined(listShrinkProblem(3, 2))
    assert.strictEqual(listShrinkProblem(3, 1)?.reason, "list_shrunk")
  })
})
