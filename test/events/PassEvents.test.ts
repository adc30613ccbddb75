import { assert, describe, it } from "@effect/vitest"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import { eventId, observe } from "../../src/events/InstanceEvent.ts"
import { passEvents, withSpecContext } from "../../src/events/PassEvents.ts"
import { revisionAnnotation } from "../../src/domain/GitSource.ts"
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
    const notes = passEvents({
      previous: { ...running, phase: "Bouncing" },
      next: { ...running, phase: "Bouncing" },
      done,
      drainMethod: "hacheck"
    })
    assert.deepStrictEqual(notes.map((note) => `${note.reason}: ${note.message}`), [
      "TasksDraining: draining 2 tasks of /web.main.gitold.config1 (hacheck)",
      "TasksKilled: killed 1 task: t1",
      "AppDeleted: deleted /web.main.gitold.config1"
    ])
  })

  it("a transition is told once: Running per generation, Stalled, CleanupRefused and Invalid as warnings", () => {
    const bouncing = { ...running, phase: "Bouncing" as const }
    assert.deepStrictEqual(passEvents({ previous: bouncing, next: running, done: [], drainMethod: "noop" }).map((n) => n.reason), [
      "RolloutSucceeded"
    ])
    assert.deepStrictEqual(passEvents({ previous: running, next: running, done: [], drainMethod: "noop" }), [])
    // The next generation rolled out is news again, even though the phase was Running before.
    assert.lengthOf(passEvents({ previous: running, next: { ...running, observedGeneration: 3 }, done: [], drainMethod: "noop" }), 1)
    for (const phase of ["Stalled", "CleanupRefused", "Invalid"] as const) {
      const [note] = passEvents({ previous: bouncing, next: { ...bouncing, phase, summary: "why" }, done: [], drainMethod: "noop" })
      assert.deepStrictEqual([note?.type, note?.message], ["Warning", "why"])
    }
  })

  it("the notifiable events carry generation and app; Stalled while the new app's tasks fail is also RolloutFailed", () => {
    const bouncing = { ...running, phase: "Bouncing" as const }
    const [succeeded] = passEvents({ previous: bouncing, next: running, done: [], drainMethod: "noop" })
    assert.deepStrictEqual(succeeded?.context, { generation: 2, appId: "/web.main.gitnew.config2" })
    const failure = { appId: "/web.main.gitnew.config2", taskId: "t9", state: "TASK_FAILED", message: "exit 1", at: "", host: "agent-1" }
    const stalled = passEvents({
      previous: bouncing,
      next: { ...bouncing, phase: "Stalled", summary: "no progress", lastTaskFailure: failure },
      done: [],
      drainMethod: "noop"
    })
    assert.deepStrictEqual(stalled.map((note) => note.reason), ["Stalled", "RolloutFailed"])
    assert.strictEqual(stalled[1]?.message, "generation 2: tasks of /web.main.gitnew.config2 fail (TASK_FAILED: exit 1)")
    // A failure of another (old) app is not this rollout's.
    const other = passEvents({
      previous: bouncing,
      next: { ...bouncing, phase: "Stalled", lastTaskFailure: { ...failure, appId: "/old" } },
      done: [],
      drainMethod: "noop"
    })
    assert.deepStrictEqual(other.map((note) => note.reason), ["Stalled"])
    // The spec adds labels and the GitSource revision; notes without a context stay as they are.
    const metadata = { labels: { team: "payments" }, annotations: { [revisionAnnotation]: "abc123 Raise web" } }
    assert.deepStrictEqual(withSpecContext(succeeded!, metadata).context, {
      generation: 2,
      appId: "/web.main.gitnew.config2",
      labels: { team: "payments" },
      revision: "abc123 Raise web"
    })
    const plain = { type: "Normal", reason: "AppCreated", message: "created" } as const
    assert.strictEqual(withSpecContext(plain, metadata), plain)
    // Stored events keep the context.
    assert.deepStrictEqual(observe(undefined, succeeded!, "2026-01-01T00:00:00Z", undefined).context, succeeded!.context)
  })

  it("the same reason and message count up under one key; another message is another event", () => {
    const note = { type: "Warning", reason: "CleanupRefused", message: "deletion budget spent" } as const
    const first = observe(undefined, note, "2026-01-01T00:00:00Z", "t1")
    const again = observe(first, note, "2026-01-01T00:05:00Z", "t2")
    assert.deepStrictEqual([again.count, again.firstTimestamp, again.lastTimestamp, again.traceId], [
      2,
      "2026-01-01T00:00:00Z",
      "2026-01-01T00:05:00Z",
      "t2"
    ])
    assert.strictEqual(eventId(note), eventId({ ...note }))
    assert.notStrictEqual(eventId(note), eventId({ ...note, message: "the spec set is empty" }))
  })
})
