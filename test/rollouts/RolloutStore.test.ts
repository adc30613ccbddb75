import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { PassTrace } from "../../src/rollouts/Rollout.ts"
import { RolloutStore } from "../../src/rollouts/RolloutStore.ts"

// The memory layer, for service tests: the same folding as the etcd layer, read back at once.
// Under the TestClock, step times come from the traces, not from the clock of whoever stores them.

const pass = (generation: number, startSeconds: number, phase: string, actions: ReadonlyArray<string>): PassTrace => ({
  instance: "web.main",
  generation,
  traceId: `t${startSeconds}`,
  startedAt: startSeconds * 1000,
  finishedAt: startSeconds * 1000 + 200,
  phase,
  appId: "/web.main.gitabc.config1",
  source: "prod",
  draining: 0,
  actions: actions.map((name, index) => ({
    name,
    startedAt: startSeconds * 1000 + index * 50,
    finishedAt: startSeconds * 1000 + index * 50 + 40,
    attributes: {},
    failed: false
  }))
})

describe("RolloutStore in memory", () => {
  it.effect("folds passes per instance; durations come from the spans", () =>
    Effect.gen(function*() {
      const store = yield* RolloutStore
      yield* store.record(pass(1, 0, "Bouncing", ["create app"]))
      yield* store.record(pass(1, 30, "Bouncing", ["drain 1"]))
      yield* store.record(pass(1, 60, "Running", ["kill 1", "delete old app"]))
      const [rollout] = yield* store.list("web.main")
      assert.deepStrictEqual(rollout?.steps.map((step) => step.name), [
        "create app",
        "wait for Marathon",
        "drain 1",
        "wait for drain",
        "kill 1",
        "delete old app"
      ])
      assert.deepStrictEqual([rollout?.result, rollout?.startedAt, rollout?.finishedAt, rollout?.source], [
        "Succeeded",
        "1970-01-01T00:00:00.000Z",
        "1970-01-01T00:01:00.200Z",
        "prod"
      ])
      assert.deepStrictEqual(rollout?.steps.map((step) => step.attributes["mdeploy.source"]), Array(6).fill("prod"))
      assert.deepStrictEqual(yield* store.list("other.main"), [])
    }).pipe(Effect.provide(RolloutStore.layerMemory)))
})
