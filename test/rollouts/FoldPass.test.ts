import { assert, describe, it } from "@effect/vitest"
import { foldPass } from "../../src/rollouts/FoldPass.ts"
import { passOf } from "../../src/rollouts/PassTrace.ts"
import type { PassAction, PassTrace, Rollout } from "../../src/rollouts/Rollout.ts"
import { rolloutLimit } from "../../src/rollouts/Rollout.ts"
import type { RecordedSpan } from "../../src/telemetry/SpanRecorder.ts"

const t0 = Date.parse("2026-01-01T00:00:00.000Z")
const at = (seconds: number) => t0 + seconds * 1000
const iso = (seconds: number) => new Date(at(seconds)).toISOString()

const action = (name: string, from: number, to: number, attributes: PassAction["attributes"] = {}): PassAction => ({
  name,
  startedAt: at(from),
  finishedAt: at(to),
  attributes: { "mdeploy.app_id": "/web.main.gitnew.config2", ...attributes },
  failed: false
})

const pass = (from: number, to: number, fields: Partial<PassTrace> = {}): PassTrace => ({
  instance: "web.main",
  generation: 2,
  traceId: `trace-${from}`,
  startedAt: at(from),
  finishedAt: at(to),
  phase: "Bouncing",
  appId: "/web.main.gitnew.config2",
  source: undefined,
  draining: 0,
  actions: [],
  ...fields
})

const fold = (passes: ReadonlyArray<PassTrace>, history: ReadonlyArray<Rollout> = []) =>
  passes.reduce((current, next) => foldPass(current, next).history, history)

const stepNames = (rollout: Rollout | undefined) => rollout?.steps.map((step) => step.name)

describe("rollouts folded from reconcile passes", () => {
  it("a crossover bounce: acting steps in order, waits between passes named for what they waited for", () => {
    const history = fold([
      pass(0, 1, { actions: [action("create app", 0.1, 0.3)] }),
      pass(5, 6, { actions: [action("drain 3", 5.1, 5.2, { "mdeploy.task_count": 3 })], draining: 0 }),
      pass(6, 6.2, { draining: 3 }), // waiting: nothing done
      pass(9, 10, { actions: [action("kill 3", 9.1, 9.4), action("delete old app", 9.4, 9.6)], draining: 3 }),
      pass(10, 10.2, { phase: "Running" })
    ])
    const [rollout] = history
    assert.strictEqual(rollout?.result, "Succeeded")
    assert.strictEqual(rollout?.startedAt, iso(0.1))
    assert.strictEqual(rollout?.finishedAt, iso(10.2))
    assert.deepStrictEqual(stepNames(rollout), [
      "create app",
      "wait for Marathon",
      "drain 3",
      "wait for drain",
      "kill 3",
      "delete old app",
      "wait for Marathon"
    ])
    const wait = rollout!.steps[3]!
    assert.deepStrictEqual([wait.startedAt, wait.finishedAt, wait.attributes["mdeploy.step.kind"], wait.traceId], [
      iso(5.2),
      iso(9.1),
      "wait",
      "trace-9"
    ])
    const drain = rollout!.steps[2]!
    assert.deepStrictEqual(drain.attributes, {
      "mdeploy.instance": "web.main",
      "mdeploy.generation": 2,
      "mdeploy.app_id": "/web.main.gitnew.config2",
      "mdeploy.task_count": 3,
      "mdeploy.step.kind": "act"
    })
    assert.strictEqual(drain.traceId, "trace-5")
  })

  it("steady passes start no rollout and change nothing once it succeeded", () => {
    assert.deepStrictEqual(foldPass([], pass(0, 1, { phase: "Running" })).changed, [])
    const done = fold([pass(0, 1, { actions: [action("create app", 0, 1)] }), pass(2, 3, { phase: "Running" })])
    const again = foldPass(done, pass(100, 101, { phase: "Running" }))
    assert.deepStrictEqual(again.changed, [])
    assert.deepStrictEqual(again.history, done)
  })

  it("a newer generation supersedes an unfinished one; a late pass of an older generation changes nothing", () => {
    const before = fold([pass(0, 1, { actions: [action("create app", 0, 1)] })])
    const folded = foldPass(before, pass(5, 6, { generation: 3, actions: [action("create app", 5, 6)] }))
    assert.deepStrictEqual(folded.history.map((rollout) => [rollout.generation, rollout.result]), [[3, "InProgress"], [2, "Superseded"]])
    assert.strictEqual(folded.history[1]?.finishedAt, iso(5))
    assert.lengthOf(folded.changed, 2)
    assert.deepStrictEqual(foldPass(folded.history, pass(7, 8, { generation: 1, actions: [action("kill 1", 7, 8)] })).changed, [])
  })

  it("Stalled is Failed until the rollout moves again", () => {
    const stalled = fold([pass(0, 1, { actions: [action("create app", 0, 1)] }), pass(30, 31, { phase: "Stalled", draining: 2 })])
    assert.deepStrictEqual([stalled[0]?.result, stalled[0]?.finishedAt, stalled[0]?.waitingFor], ["Failed", iso(31), "drain"])
    const moving = fold([pass(40, 41, { actions: [action("kill 2", 40, 41)] })], stalled)
    assert.strictEqual(moving[0]?.result, "InProgress")
    assert.isUndefined(moving[0]?.finishedAt)
  })

  it("keeps the newest rollouts only and says which to delete", () => {
    let history: ReadonlyArray<Rollout> = []
    let dropped: ReadonlyArray<number> = []
    for (let generation = 1; generation <= rolloutLimit + 2; generation++) {
      const folded = foldPass(
        history,
        pass(generation * 10, generation * 10 + 1, { generation, actions: [action("create app", generation * 10, generation * 10 + 1)] })
      )
      history = folded.history
      dropped = [...dropped, ...folded.dropped]
    }
    assert.lengthOf(history, rolloutLimit)
    assert.strictEqual(history[0]?.generation, rolloutLimit + 2)
    assert.deepStrictEqual(dropped, [1, 2])
  })
})

const span = (name: string, fields: Partial<RecordedSpan> = {}): RecordedSpan => ({
  name,
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: name,
  parentSpanId: "Executor.run",
  attributes: {},
  events: [],
  status: "unset",
  statusMessage: undefined,
  startTimeMs: at(1),
  durationMs: 100,
  startOrder: 0,
  ...fields
})

describe("a pass read from its spans", () => {
  it("the root span's annotations and one action per Executor span, named as a person says it", () => {
    const read = passOf([
      span("Executor.killTasks", {
        startTimeMs: at(2),
        attributes: { "mdeploy.task_count": 2, "mdeploy.app_id": "/web.main.gitold.config1", "mdeploy.instance": "web.main" }
      }),
      span("Executor.scaleApp", { startTimeMs: at(1), attributes: { "mdeploy.instances": 3 }, status: "error" }),
      span("Reconciler.reconcile", {
        parentSpanId: undefined,
        startTimeMs: at(0),
        durationMs: 3_000,
        attributes: {
          "mdeploy.instance": "web.main",
          "mdeploy.generation": 4,
          "mdeploy.phase": "Bouncing",
          "mdeploy.app_id": "/web.main.gitnew.config2",
          "mdeploy.draining": 1,
          "mdeploy.source": "prod",
          "mdeploy.revision": "9f2c1e7a3b4c bump web to 2",
          "mdeploy.fence.key": "/mdeploy/v1/leader",
          "mdeploy.fence.revision": "41"
        }
      })
    ])
    assert.deepStrictEqual(read && { ...read, actions: read.actions.map((a) => [a.name, a.failed, a.attributes]) }, {
      instance: "web.main",
      generation: 4,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      startedAt: at(0),
      finishedAt: at(3),
      phase: "Bouncing",
      appId: "/web.main.gitnew.config2",
      source: "prod",
      revision: "9f2c1e7a3b4c bump web to 2",
      draining: 1,
      actions: [["scale to 3", true, { "mdeploy.instances": 3 }], ["kill 2", false, {
        "mdeploy.app_id": "/web.main.gitold.config1",
        "mdeploy.task_count": 2
      }]],
      fence: { key: "/mdeploy/v1/leader", createRevision: "41" }
    })
  })

  it("a pass without a generation (deleted spec, failed early) tells no rollout", () => {
    assert.isUndefined(passOf([span("Reconciler.reconcile", { parentSpanId: undefined, attributes: { "mdeploy.instance": "web.main" } })]))
  })
})
