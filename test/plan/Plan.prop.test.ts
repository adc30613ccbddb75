import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { capacityFloor, crossover } from "../../src/bounce/Crossover.ts"
import type { Bucket } from "../../src/bounce/Classify.ts"
import { classifyTask } from "../../src/bounce/Classify.ts"
import { downthenup } from "../../src/bounce/DownThenUp.ts"
import { upthendown } from "../../src/bounce/UpThenDown.ts"
import { isManaged } from "../../src/domain/AppIdentity.ts"
import * as Plan from "../../src/plan/Plan.ts"
import { orderOldNonDraining, partition } from "../../src/plan/Partition.ts"
import type { PlanInput } from "./Arbitraries.ts"
import { planInputArb } from "./Arbitraries.ts"
import { at, newId } from "./Fixtures.ts"

const runs = { numRuns: 400 }
const now = at(0)
const planOf = (input: PlanInput) => Plan.make(Option.some(input.desired), input.observed, input.drainState, now)
const drained = (plan: Plan.Plan) => plan.actions.reduce((n, action) => n + (action.type === "drainTasks" ? action.tasks.length : 0), 0)

const plannerInput = fc.record({
  instances: fc.integer({ min: 0, max: 50 }),
  marginFactor: fc.double({ min: 0.01, max: 1, noNaN: true }),
  newAppRunning: fc.boolean(),
  happyNew: fc.integer({ min: 0, max: 60 }),
  old: fc.integer({ min: 0, max: 60 })
}).map((r) => ({
  instances: r.instances,
  marginFactor: r.marginFactor,
  newAppRunning: r.newAppRunning,
  happyNew: Array.from({ length: r.happyNew }, (_, i) => `n${i}`),
  oldNonDraining: Array.from({ length: r.old }, (_, i) => `o${i}`)
}))

describe("planner properties", () => {
  it("crossover never drains below ceil(I × marginFactor) happy-new-or-undrained tasks", () => {
    fc.assert(
      fc.property(plannerInput, (input) => {
        const decision = crossover(input)
        const before = input.happyNew.length + input.oldNonDraining.length
        const after = before - decision.toDrain.length
        assert.isAtLeast(after, Math.min(capacityFloor(input.instances, input.marginFactor), before))
      }),
      runs
    )
  })

  it("upthendown drains nothing unless exactly I new tasks are happy", () => {
    fc.assert(
      fc.property(plannerInput, (input) => {
        const decision = upthendown(input)
        if (decision.toDrain.length > 0) assert.strictEqual(input.happyNew.length, input.instances)
      }),
      runs
    )
  })

  it("downthenup never creates the new app while an old non-draining task exists", () => {
    fc.assert(
      fc.property(plannerInput, (input) => {
        if (downthenup(input).createApp) assert.strictEqual(input.oldNonDraining.length, 0)
      }),
      runs
    )
  })
})

describe("Plan.make properties", () => {
  it("crossover plans keep ceil(I × marginFactor) happy-new-or-undrained tasks", () => {
    fc.assert(
      fc.property(planInputArb(["crossover"]), (input) => {
        const plan = planOf(input)
        const before = plan.tasks.happyNew + plan.tasks.oldHappy + plan.tasks.oldUnhappy + plan.tasks.atRisk
        const floor = capacityFloor(input.desired.desiredInstances, input.desired.bounce.marginFactor)
        assert.isAtLeast(before - drained(plan), Math.min(floor, before))
      }),
      runs
    )
  })

  it("upthendown plans drain nothing until exactly I new tasks are happy", () => {
    fc.assert(
      fc.property(planInputArb(["upthendown"]), (input) => {
        const plan = planOf(input)
        if (drained(plan) > 0) assert.strictEqual(plan.tasks.happyNew, input.desired.desiredInstances)
      }),
      runs
    )
  })

  it("downthenup plans never create the new app while an old non-draining task exists", () => {
    fc.assert(
      fc.property(planInputArb(["downthenup"]), (input) => {
        const plan = planOf(input)
        if (plan.actions.some((action) => action.type === "createApp")) {
          assert.strictEqual(plan.tasks.oldHappy + plan.tasks.oldUnhappy + plan.tasks.atRisk, 0)
        }
      }),
      runs
    )
  })

  it("no plan ever touches an app without MDEPLOY_MANAGED (specs present or deleted)", () => {
    fc.assert(
      fc.property(planInputArb(), fc.boolean(), (input, deleted) => {
        const plan = Plan.make(deleted ? Option.none() : Option.some(input.desired), input.observed, input.drainState, now)
        const unmanaged = new Set(input.observed.apps.filter((app) => !isManaged(app.labels)).map((app) => app.id))
        for (const action of plan.actions) {
          if (action.type === "createApp") {
            assert.isFalse(input.observed.apps.some((app) => app.id === action.appId))
            continue
          }
          const appIds = "tasks" in action ? action.tasks.map((task) => task.appId) : [action.appId]
          for (const appId of appIds) assert.isFalse(unmanaged.has(appId), `${action.type} touches ${appId}`)
        }
      }),
      runs
    )
  })

  it("planning is deterministic and independent of the order apps and tasks are listed in", () => {
    fc.assert(
      fc.property(planInputArb(), (input) => {
        const first = planOf(input)
        assert.deepStrictEqual(planOf(input), first)
        const shuffled = {
          ...input,
          observed: {
            ...input.observed,
            apps: [...input.observed.apps].reverse().map((app) => ({ ...app, tasks: [...app.tasks].reverse() }))
          }
        }
        assert.deepStrictEqual(Plan.toDocument(planOf(shuffled)), Plan.toDocument(first))
      }),
      runs
    )
  })

  it("every task is in exactly one bucket and never both drained and undrained", () => {
    const order: Record<Bucket, number> = { happy: 0, unhappy: 1, atRisk: 2, draining: 3 }
    const ids = (tasks: ReadonlyArray<{ readonly id: string }>) => tasks.map((task) => task.id).sort()
    fc.assert(
      fc.property(planInputArb(), (input) => {
        // The partition Plan.make works from, built the way Plan.make builds it.
        const managed = input.observed.apps.filter((app) => isManaged(app.labels))
        const newAppId = newId(input.desired)
        const context = {
          now,
          minTaskUptimeSeconds: input.desired.bounce.minTaskUptimeSeconds,
          drainingHosts: input.observed.drainingHosts,
          drain: input.drainState
        }
        const parts = partition(managed, newAppId, input.desired.desiredInstances, context)
        const newTasks = managed.find((app) => app.id === newAppId)?.tasks ?? []
        // `old` holds every old-app task and every new-app scale-down victim, each once, in the one
        // bucket Classify gives it.
        const oldTasks = managed.filter((app) => app.id !== newAppId).flatMap((app) => app.tasks)
        assert.deepStrictEqual(ids(parts.old.map((entry) => entry.task)), ids([...oldTasks, ...parts.victims.map((entry) => entry.task)]))
        for (const entry of parts.old) assert.strictEqual(entry.bucket, classifyTask(entry.task, entry.app, context), entry.task.id)
        // The planners' view: each non-draining task once, happy before unhappy before at risk.
        const ordered = orderOldNonDraining(parts.old)
        const notDraining = parts.old.filter((entry) => entry.bucket !== "draining")
        assert.deepStrictEqual(ids(ordered.map((entry) => entry.task)), ids(notDraining.map((entry) => entry.task)))
        for (let index = 1; index < ordered.length; index++) {
          assert.isAtMost(order[ordered[index - 1]!.bucket], order[ordered[index]!.bucket])
        }
        // A new-app task is a victim or stays; only one that stays can be happy-new or undrained.
        const victims = new Set(parts.victims.map((entry) => entry.task.id))
        assert.strictEqual(victims.size, parts.victims.length)
        for (const id of victims) assert.isTrue(newTasks.some((task) => task.id === id))
        for (const task of [...parts.happyNew, ...parts.undrain]) {
          assert.isTrue(newTasks.includes(task) && !victims.has(task.id), task.id)
        }
        assert.strictEqual(new Set(ids(parts.happyNew)).size, parts.happyNew.length)

        const plan = planOf(input)
        const drainIds = plan.actions.flatMap((a) => (a.type === "drainTasks" ? a.tasks.map((t) => t.id) : []))
        const undrainIds = new Set(plan.actions.flatMap((a) => (a.type === "stopDraining" ? a.tasks.map((t) => t.id) : [])))
        assert.strictEqual(new Set(drainIds).size, drainIds.length)
        for (const id of drainIds) assert.isFalse(undrainIds.has(id))
        const deleted = plan.actions.flatMap((a) => (a.type === "deleteApp" ? [a.appId] : []))
        assert.isFalse(plan.appId !== undefined && deleted.includes(plan.appId), "the desired app is never deleted")
      }),
      runs
    )
  })
})
