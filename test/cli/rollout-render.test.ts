import { assert, describe, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { parseDuration } from "../../src/cli/commands/rollout/parseDuration.ts"
import { historyDocuments, historyTable, revisionDetail, revisionViews, specChanges } from "../../src/cli/render/RolloutHistory.ts"
import { fitToWidth, progressBar, rolloutProgress } from "../../src/cli/render/RolloutProgress.ts"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import type { HistoryEntry, StoredInstance } from "../../src/store/SpecStore.ts"

const instance = (generation: number, spec: ServiceInstanceSpec = { image: "web:2", instances: 3 }): StoredInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: "web.main", uid: "u", generation, resourceVersion: "10", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec
})

const tasks = (happyNew: number, desired = 3) => ({ desired, happyNew, oldHappy: 0, oldUnhappy: 0, draining: 0, atRisk: 0 })

const stalled = {
  type: "Stalled" as const,
  status: "True" as const,
  reason: "ProgressDeadlineExceeded",
  message: "no new task became happy in 600s",
  lastTransitionTime: "2026-01-01T00:10:00Z"
}

describe("rollout progress", () => {
  it("waits for the controller while status is missing or for an older generation", () => {
    const none = rolloutProgress(instance(4), undefined)
    assert.deepStrictEqual(none.state, { _tag: "Progressing", reason: "waiting for the controller to observe generation 4" })
    assert.strictEqual(none.line, "web.main  [----------] 0/3 new happy  Pending  waiting for the controller to observe generation 4")
    const old = rolloutProgress(instance(4), { observedGeneration: 3, phase: "Running", tasks: tasks(3) })
    assert.strictEqual(old.state._tag, "Progressing")
    assert.include(old.line, "0/3 new happy  Pending  waiting for the controller to observe generation 4 (status is for generation 3)")
  })

  it("draws the bar, counts, phase and summary while bouncing", () => {
    const status: InstanceStatus = {
      observedGeneration: 4,
      phase: "Bouncing",
      tasks: tasks(2),
      summary: "crossover: 2/3 new happy, 1 draining"
    }
    const progress = rolloutProgress(instance(4), status)
    assert.deepStrictEqual(progress.state, { _tag: "Progressing", reason: "crossover: 2/3 new happy, 1 draining" })
    assert.strictEqual(progress.line, "web.main  [######----] 2/3 new happy  Bouncing  crossover: 2/3 new happy, 1 draining")
  })

  it("says why it is not moving: the last pass's problem and Marathon's last task failure of the target app", () => {
    const failure = {
      appId: "/web.main.gitnew.config2",
      taskId: "web.main.t9",
      state: "TASK_FAILED",
      message: "exited with status 1",
      at: "2026-01-01T00:05:00Z",
      host: "agent-2"
    }
    const status: InstanceStatus = {
      observedGeneration: 4,
      phase: "Bouncing",
      appId: "/web.main.gitnew.config2",
      tasks: tasks(1),
      summary: "crossover: 1/3 new happy",
      lastReconcile: { at: "2026-01-01T00:06:00Z", result: "RequeueAfter", error: "1 drain call(s) failed: hacheck answered 500" },
      lastTaskFailure: failure
    }
    assert.deepStrictEqual(rolloutProgress(instance(4), status).state, {
      _tag: "Progressing",
      reason: "crossover: 1/3 new happy; last pass: 1 drain call(s) failed: hacheck answered 500; " +
        "Marathon: task web.main.t9 TASK_FAILED at 2026-01-01T00:05:00Z: exited with status 1"
    })
    // A failure of an older app, or once every new task is happy, is history, not a reason.
    const old = {
      ...status,
      lastReconcile: { at: "x", result: "Done" as const },
      lastTaskFailure: { ...failure, appId: "/web.main.gitold.config1" }
    }
    assert.deepStrictEqual(rolloutProgress(instance(4), old).state, { _tag: "Progressing", reason: "crossover: 1/3 new happy" })
    const happy = { ...status, phase: "Bouncing" as const, tasks: tasks(3), lastReconcile: { at: "x", result: "Done" as const } }
    assert.deepStrictEqual(rolloutProgress(instance(4), happy).state, { _tag: "Progressing", reason: "crossover: 1/3 new happy" })
  })

  it("is done at Running for start and at Stopped for stop, only at the current generation", () => {
    assert.strictEqual(rolloutProgress(instance(4), { observedGeneration: 4, phase: "Running", tasks: tasks(3) }).state._tag, "Done")
    const stop = instance(5, { image: "web:2", desiredState: "stop" })
    assert.strictEqual(rolloutProgress(stop, { observedGeneration: 5, phase: "Stopped", tasks: tasks(0, 0) }).state._tag, "Done")
    assert.strictEqual(rolloutProgress(stop, { observedGeneration: 5, phase: "Running", tasks: tasks(3) }).state._tag, "Progressing")
  })

  it("fails on a Stalled phase, a Stalled condition or an Invalid spec, naming why", () => {
    assert.deepStrictEqual(
      rolloutProgress(instance(4), { observedGeneration: 4, phase: "Bouncing", conditions: [stalled] }).state,
      { _tag: "Failed", reason: "stalled: no new task became happy in 600s" }
    )
    assert.deepStrictEqual(
      rolloutProgress(instance(4), { observedGeneration: 4, phase: "Stalled", summary: "crossover: 0/3 new happy" }).state,
      { _tag: "Failed", reason: "stalled: crossover: 0/3 new happy" }
    )
    assert.strictEqual(rolloutProgress(instance(4), { observedGeneration: 4, phase: "Invalid" }).state._tag, "Failed")
    assert.strictEqual(
      rolloutProgress(instance(5), { observedGeneration: 4, phase: "Stalled", conditions: [stalled] }).state._tag,
      "Progressing"
    )
  })

  it("marks a paused instance", () => {
    const paused = instance(4, { image: "web:2", instances: 3, paused: true })
    assert.include(
      rolloutProgress(paused, { observedGeneration: 4, phase: "Bouncing", tasks: tasks(1) }).line,
      "1/3 new happy  Bouncing (paused)"
    )
  })

  it.each([[0, 3, "[----------]"], [1, 3, "[###-------]"], [3, 3, "[##########]"], [5, 3, "[##########]"], [0, 0, "[##########]"]])(
    "draws %d of %d as %s",
    (happy, desired, bar) => assert.strictEqual(progressBar(happy, desired), bar)
  )

  it("cuts lines to the terminal width", () => {
    assert.strictEqual(fitToWidth("abcdef", 10), "abcdef")
    assert.strictEqual(fitToWidth("abcdefghijkl", 6), "abcd…")
    assert.strictEqual(fitToWidth("abcdef", 0), "abcdef")
  })
})

const entry = (generation: number, spec: ServiceInstanceSpec): HistoryEntry => ({
  generation,
  recordedAt: `2026-01-0${generation}T00:00:00Z`,
  spec
})

describe("rollout history", () => {
  it("names changed fields, one level into objects", () => {
    assert.deepStrictEqual(specChanges({ image: "a", instances: 2 }, { image: "b", instances: 2 }), ["image"])
    assert.deepStrictEqual(
      specChanges({ image: "a", bounce: { method: "crossover" }, env: { A: "1" } }, {
        image: "a",
        bounce: { method: "brutal" },
        env: { A: "1", B: "2" },
        forceBounce: "x"
      }),
      ["bounce.method", "env.B", "forceBounce"]
    )
    assert.deepStrictEqual(specChanges({ marathon: { a: 1 } }, { marathon: { a: 2 } }), ["marathon"])
    assert.deepStrictEqual(specChanges({ image: "a" }, { image: "a" }), [])
  })

  it("tabulates revisions with changes against the previous kept one and marks the current", () => {
    // Revisions are the generations at which the app changed, so numbers have gaps.
    const views = revisionViews([
      entry(3, { image: "web:3", instances: 3 }),
      entry(1, { image: "web:1" }),
      entry(4, { image: "web:3", instances: 5 })
    ], 4)
    assert.deepStrictEqual(views.map((view) => [view.revision, view.changes, view.current]), [
      [1, ["created"], false],
      [3, ["image", "instances"], false],
      [4, ["instances"], true]
    ])
    assert.strictEqual(
      historyTable(views),
      [
        "REVISION      RECORDED               IMAGE   CHANGES",
        "1             2026-01-01T00:00:00Z   web:1   created",
        "3             2026-01-03T00:00:00Z   web:3   image, instances",
        "4 (current)   2026-01-04T00:00:00Z   web:3   instances"
      ].join("\n")
    )
    // Only the oldest kept revision can have lost its predecessor.
    assert.deepStrictEqual(revisionViews([entry(5, { image: "web:5" }), entry(7, { image: "web:7" })], 7).map((view) => view.changes), [
      undefined,
      ["image"]
    ])
    assert.strictEqual(
      historyTable(revisionViews([entry(5, { image: "web:5" })], 5)).split("\n")[1],
      "5 (current)   2026-01-05T00:00:00Z   web:5   (previous revision not kept)"
    )
    assert.deepStrictEqual(historyDocuments(views)[1], {
      revision: 3,
      recordedAt: "2026-01-03T00:00:00Z",
      current: false,
      image: "web:3",
      changes: ["image", "instances"],
      spec: { image: "web:3", instances: 3 }
    })
  })

  it("shows one revision in full, with the app it ran as", () => {
    const [view] = revisionViews([{ ...entry(2, { image: "web:2", env: { A: "1" } }), appId: "/web.main.gitunknown.config12345678" }], 2)
    assert.strictEqual(
      revisionDetail("web.main", view!),
      [
        "serviceinstance/web.main revision 2 (current)",
        "Recorded:  2026-01-02T00:00:00Z",
        "App:       /web.main.gitunknown.config12345678",
        "Changes:   (previous revision not kept)",
        "Spec:",
        "  env:",
        "    A: \"1\"",
        "  image: web:2"
      ].join("\n")
    )
  })

  it("shows cmd-only specs by their command", () => {
    assert.strictEqual(revisionViews([entry(1, { cmd: "./serve" })], 1)[0]?.image, "./serve")
  })
})

describe("--timeout durations", () => {
  it.each([["30s", 30_000], ["5m", 300_000], ["1h30m", 5_400_000], ["500ms", 500], ["1.5s", 1_500]])("reads %s", (text, millis) => {
    const parsed = parseDuration(text)
    assert.isTrue(Option.isSome(parsed) && Option.isSome(parsed.value))
    if (Option.isSome(parsed) && Option.isSome(parsed.value)) assert.strictEqual(Duration.toMillis(parsed.value.value), millis)
  })

  it("reads 0 as no limit and refuses other text", () => {
    assert.deepStrictEqual(parseDuration("0"), Option.some(Option.none()))
    for (const text of ["", "30", "5 minutes", "s", "1d", "-1s"]) assert.isTrue(Option.isNone(parseDuration(text)), text)
  })
})
