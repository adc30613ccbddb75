import { assert, describe, it } from "@effect/vitest"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import { eventId, observe } from "../../src/events/InstanceEvent.ts"
import { passEvents } from "../../src/events/PassEvents.ts"
import type { Action } from "../../src/plan/Action.ts"

const task = (id: string) => ({ id, appId: "/web.main.gitold.config1", host: "agent-1", ports: [31000], state: "TASK_RUNNING" })
const running: InstanceStatus = { observedGeneration: 2, phase: "Running", appId: "/web.main.gitnew.config2" }

describe("the events of a pass", () => {
  it("one per action carried out, in order, naming what it touched", () => {
    const done: ReadonlyArray<Action> = [
      { type: "drainTasks", appId: "/web.main.gitold.config1", tasks: [task("t1"), task("t2")] },
      { type: "killTasks", tasks: [task("t1")], scale: true },
      { type: "deleteApp", appId: "/web.main.gitold.config1" }
    ]
    const notes = passEvents({ previous: { ...running, phase: "Bouncing" }, next: { ...running, phase: "Bouncing" }, done, drainMethod: "hacheck" })
    assert.deepStrictEqual(notes.map((note) => `${note.reason}: ${note.message}`), [
      "TasksDraining: draining 2 tasks of /web.main.gitold.config1 (hacheck)",
      "TasksKilled: killed 1 task: t1",
      "AppDeleted: deleted /web.main.gitold.config1"
    ])
  })

  it("a transition is told once: Running per generation, Stalled, CleanupRefused and Invalid as warnings", () => {
    const bouncing = { ...running, phase: "Bouncing" as const }
    assert.deepStrictEqual(passEvents({ previous: bouncing, next: running, done: [], drainMethod: "noop" }).map((n) => n.reason), ["RolloutSucceeded"])
    assert.deepStrictEqual(passEvents({ previous: running, next: running, done: [], drainMethod: "noop" }), [])
    // The next generation rolled out is news again, even though the phase was Running before.
    assert.lengthOf(passEvents({ previous: running, next: { ...running, observedGeneration: 3 }, done: [], drainMethod: "noop" }), 1)
    for (const phase of ["Stalled", "CleanupRefused", "Invalid"] as const) {
      const [note] = passEvents({ previous: bouncing, next: { ...bouncing, phase, summary: "why" }, done: [], drainMethod: "noop" })
      assert.deepStrictEqual([note?.type, note?.message], ["Warning", "why"])
    }
  })

  it("the same reason and message count up under one key; another message is another event", () => {
    const note = { type: "Warning", reason: "CleanupRefused", message: "deletion budget spent" } as const
    const first = observe(undefined, note, "2026-01-01T00:00:00Z", "t1")
    const again = observe(first, note, "2026-01-01T00:05:00Z", "t2")
    assert.deepStrictEqual([again.count, again.firstTimestamp, again.lastTimestamp, again.traceId], [2, "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", "t2"])
    assert.strictEqual(eventId(note), eventId({ ...note }))
    assert.notStrictEqual(eventId(note), eventId({ ...note, message: "the spec set is empty" }))
  })
})
