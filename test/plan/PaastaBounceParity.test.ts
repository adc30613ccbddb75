import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { DrainConfig } from "../../src/plan/DrainState.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { app, at, draining, drainState, hacheck, newId, observed, oldId, spec, task, tasks } from "./Fixtures.ts"

// The bounce differences from PaaSTA's setup_marathon_job found by comparing with its code and
// tests, each pinned to what mdeploy does now: PaaSTA's behaviour or a deliberate improvement.
const now = at(0)
const ids = (plan: Plan.Plan, type: "drainTasks" | "stopDraining" | "killTasks") =>
  plan.actions.flatMap((action) => action.type === type ? action.tasks.map((t) => t.id) : []).sort()

const http: DrainConfig = {
  method: "http",
  params: {
    drain: { urlFormat: "http://{host}:{port}/drain" },
    stopDraining: { urlFormat: "http://{host}:{port}/undrain" },
    isDraining: { urlFormat: "http://{host}:{port}/draining" },
    isSafeToKill: { urlFormat: "http://{host}:{port}/safe" }
  },
  onError: "retry",
  timeoutSeconds: 15
}

describe("bounce parity with PaaSTA", () => {
  it("tasks undrained in this pass are not happy yet, so crossover does not drain old tasks against them", () => {
    // New app 5 → 3 in place: n1 serves, n2..n5 are draining (n4, n5 are kept and undrained now);
    // an old app still serves 3. Counting n4 and n5 as happy (3 of 3) would drain every old task.
    const desired = spec({ cmd: "serve", instances: 3 })
    const id = newId(desired)
    const fresh = tasks(id, "n", 5)
    const old = tasks(oldId(1), "o", 3)
    const answers = fresh.slice(1).map((t) => draining(t.id))
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, fresh), app(oldId(1), old)]),
      drainState({ drain: hacheck, answers }),
      now
    )
    assert.strictEqual(plan.tasks.happyNew, 1)
    assert.deepStrictEqual(ids(plan, "stopDraining"), [fresh[3]!.id, fresh[4]!.id].sort())
    // 1 new + 3 old happy, 3 needed: one old task may go, not three.
    assert.deepStrictEqual(ids(plan, "drainTasks"), [old[0]!.id])
    // Next pass, n4 and n5 are back in the load balancer and count.
    const after = Plan.make(
      Option.some(desired),
      observed([app(id, [fresh[0]!, fresh[3]!, fresh[4]!], { instances: 3 }), app(oldId(1), old)]),
      drainState({ drain: hacheck }),
      now
    )
    assert.strictEqual(after.tasks.happyNew, 3)
  })

  it("stop_draining also goes to a kept task whose is_draining errored (PaaSTA sends it to every kept task), not to tasks known up", () => {
    const desired = spec({ cmd: "serve", instances: 3 })
    const id = newId(desired)
    const fresh = tasks(id, "n", 3)
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, fresh)]),
      drainState({ drain: hacheck, answers: [[fresh[0]!.id, { draining: "error" }], [fresh[1]!.id, { draining: false }]] }),
      now
    )
    assert.deepStrictEqual(ids(plan, "stopDraining"), [fresh[0]!.id])
    // Not steady while a task's drain status is unknown: the pass comes back to ask again.
    assert.strictEqual(plan.requeueAfterSeconds, 60)
  })

  it("deliberate: a task drained in this pass, or at risk and not drained, is killed only once is_safe_to_kill was asked", () => {
    // PaaSTA asks is_safe_to_kill right after draining, in the same run; mdeploy asks on the next
    // pass (it comes back after the method's wait, 5 s for http), so a kill never races the drain.
    const desired = spec({ cmd: "serve", instances: 2, drain: http })
    const id = newId(desired)
    const fresh = tasks(id, "n", 2)
    const old = [task(oldId(1), "o1"), task(oldId(1), "o2", { host: "maint-1" })]
    const plan = Plan.make(
      Option.some(desired),
      observed([app(id, fresh), app(oldId(1), old)], ["maint-1"]),
      drainState({ drain: http }),
      now
    )
    assert.deepStrictEqual(ids(plan, "drainTasks"), old.map((t) => t.id).sort())
    assert.deepStrictEqual(ids(plan, "killTasks"), [])
    assert.strictEqual(plan.requeueAfterSeconds, 5)
    // The next pass asks: the method says safe, so both go (and the old app with them).
    const next = Plan.make(
      Option.some(desired),
      observed([app(id, fresh), app(oldId(1), old)], ["maint-1"]),
      drainState({ drain: http, answers: old.map((t) => draining(t.id, true)) }),
      now
    )
    assert.deepStrictEqual(ids(next, "killTasks"), old.map((t) => t.id).sort())
    assert.isTrue(next.actions.some((action) => action.type === "deleteApp" && action.appId === oldId(1)))
    // noop is always safe: PaaSTA's same-run kill is kept.
    const noop = spec({ cmd: "serve", instances: 2 })
    const noopId = newId(noop)
    const same = Plan.make(
      Option.some(noop),
      observed([app(noopId, tasks(noopId, "n", 2)), app(oldId(1), old)], ["maint-1"]),
      drainState(),
      now
    )
    assert.deepStrictEqual(ids(same, "killTasks"), old.map((t) => t.id).sort())
  })
})
