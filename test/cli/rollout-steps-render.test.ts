import { assert, describe, it } from "@effect/vitest"
import { historyTable, revisionDetail, revisionViews } from "../../src/cli/render/RolloutHistory.ts"
import { rolloutOutcome, stepsSummary, stepsTable } from "../../src/cli/render/RolloutSteps.ts"
import type { Rollout } from "../../src/rollouts/Rollout.ts"

const rollout: Rollout = {
  generation: 2,
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:05.000Z",
  result: "Succeeded",
  appId: "/web.main.gitabc.config2",
  steps: [
    {
      name: "create app",
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:00:00.250Z",
      attributes: { "mdeploy.step.kind": "act" },
      traceId: "t1"
    },
    {
      name: "wait for Marathon",
      startedAt: "2026-01-01T00:00:00.250Z",
      finishedAt: "2026-01-01T00:01:04.000Z",
      attributes: { "mdeploy.step.kind": "wait" },
      traceId: "t2"
    },
    {
      name: "delete old app",
      startedAt: "2026-01-01T00:01:04.000Z",
      finishedAt: "2026-01-01T00:01:04.500Z",
      attributes: { "mdeploy.step.kind": "act" },
      traceId: "t2"
    }
  ]
}

describe("rollout steps in the terminal", () => {
  it("outcome, one-line summary with per-step durations, and a table", () => {
    assert.strictEqual(rolloutOutcome(rollout, 0), "Succeeded in 1m5s")
    assert.strictEqual(
      rolloutOutcome({ ...rollout, result: "InProgress", finishedAt: undefined } as unknown as Rollout, Date.parse("2026-01-01T00:00:04Z")),
      "InProgress for 4.0s"
    )
    assert.strictEqual(stepsSummary(rollout), "create app 0.3s, wait for Marathon 1m4s, delete old app 0.5s")
    assert.deepStrictEqual(stepsTable(rollout, 0).split("\n").map((line) => line.trimEnd()), [
      "Generation 2: Succeeded in 1m5s (/web.main.gitabc.config2)",
      "STEP                STARTED                    DURATION   KIND   TRACE",
      "create app          2026-01-01T00:00:00.000Z   0.3s       act    t1",
      "wait for Marathon   2026-01-01T00:00:00.250Z   1m4s       wait   t2",
      "delete old app      2026-01-01T00:01:04.000Z   0.5s       act    t2"
    ])
  })

  it("rollout history gains the rollout and its step durations, only when one was recorded", () => {
    const entry = (generation: number, image: string) => ({
      generation,
      recordedAt: `2026-01-0${generation}T00:00:00Z`,
      spec: { image, instances: 3 }
    })
    const plain = historyTable(revisionViews([entry(1, "web:1"), entry(2, "web:2")], 2))
    assert.notInclude(plain, "ROLLOUT")
    const views = revisionViews([entry(1, "web:1"), entry(2, "web:2")], 2, [rollout])
    const lines = historyTable(views, 0).split("\n").map((line) => line.trimEnd())
    assert.match(lines[0]!, /^REVISION\s+RECORDED\s+IMAGE\s+CHANGES\s+ROLLOUT\s+STEPS$/)
    assert.match(lines[1]!, /^1 .* created\s+-\s+-$/)
    assert.match(lines[2]!, /^2 \(current\) .* image\s+Succeeded in 1m5s\s+create app 0\.3s, wait for Marathon 1m4s, delete old app 0\.5s$/)
    assert.include(revisionDetail("web.main", views[1]!, 0), "Rollout:\n  Generation 2: Succeeded in 1m5s")
  })
})
