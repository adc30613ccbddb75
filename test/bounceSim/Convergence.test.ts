import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import type { BounceMethod } from "../../src/domain/Bounce.ts"
import type { ResolvedSpec } from "../../src/domain/ResolvedSpec.ts"
import { newId, oldId, spec } from "../plan/Fixtures.ts"
import { BounceSim, floorOf } from "./Simulator.ts"
import type { StepResult } from "./Simulator.ts"

// Every method takes "old app, I happy tasks" to "only the new app, I happy tasks" within a
// bounded number of passes, whatever the health and drain delays, without breaking its floor.
const maxSteps = 60
const scenario = fc.record({
  instances: fc.integer({ min: 1, max: 6 }),
  marginFactor: fc.constantFrom(1, 0.8, 0.5),
  drain: fc.constantFrom<"noop" | "delayed">("noop", "delayed"),
  healthDelays: fc.array(fc.integer({ min: 0, max: 240 }), { minLength: 40, maxLength: 40 }),
  drainDelays: fc.array(fc.integer({ min: 0, max: 240 }), { minLength: 40, maxLength: 40 }),
  stepSeconds: fc.constantFrom(15, 30, 60)
})

const isConverged = (sim: BounceSim, desired: ResolvedSpec, step: StepResult) =>
  sim.apps.length === 1 &&
  sim.apps[0]!.id === newId(desired) &&
  sim.apps[0]!.instances === desired.desiredInstances &&
  step.plan.tasks.happyNew === desired.desiredInstances &&
  step.plan.phase === "Running" &&
  step.plan.requeueAfterSeconds === undefined

const checkFloor = (method: BounceMethod, desired: ResolvedSpec, step: StepResult) => {
  const { plan } = step
  if (method === "crossover") {
    assert.isAtLeast(step.inLbAfter, Math.min(floorOf(desired), step.inLbBefore), "crossover floor")
  }
  if (method === "upthendown" && plan.actions.some((a) => a.type === "drainTasks")) {
    assert.strictEqual(plan.tasks.happyNew, desired.desiredInstances, "upthendown drains only with I happy")
  }
  if (method === "downthenup" && plan.actions.some((a) => a.type === "createApp")) {
    assert.strictEqual(plan.tasks.oldHappy + plan.tasks.oldUnhappy + plan.tasks.atRisk, 0, "downthenup creates only when drained")
  }
}

describe("pure bounce simulation", () => {
  for (const method of ["crossover", "upthendown", "downthenup", "brutal"] as const) {
    it(`${method} converges from an old app to only the new app with I happy tasks`, () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const desired = spec({
            cmd: "serve",
            instances: s.instances,
            healthCheck: { protocol: "COMMAND", command: "true" },
            bounce: { method, marginFactor: s.marginFactor }
          })
          const sim = new BounceSim({
            name: desired.name,
            drain: s.drain,
            healthDelay: (seq) => s.healthDelays[seq % 40]!,
            drainDelay: (seq) => s.drainDelays[seq % 40]!,
            stepSeconds: s.stepSeconds
          })
          sim.seedApp(oldId(1), s.instances)
          const result = sim.run(Option.some(desired), maxSteps, (current, step) => {
            checkFloor(method, desired, step)
            return isConverged(current, desired, step)
          })
          assert.isTrue(result.converged, `not converged after ${maxSteps} passes: ${result.steps.at(-1)?.plan.summary}`)
        }),
        { numRuns: 60 }
      )
    })
  }

  it("two old versions at once converge too (older version drained first)", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const desired = spec({ cmd: "serve", instances: s.instances, healthCheck: { protocol: "COMMAND", command: "true" } })
        const sim = new BounceSim({
          name: desired.name,
          drain: s.drain,
          healthDelay: (seq) => s.healthDelays[seq % 40]!,
          drainDelay: (seq) => s.drainDelays[seq % 40]!,
          stepSeconds: s.stepSeconds
        })
        sim.seedApp(oldId(1), s.instances)
        sim.seedApp(oldId(2), s.instances)
        const result = sim.run(Option.some(desired), maxSteps, (current, step) => {
          checkFloor("crossover", desired, step)
          return isConverged(current, desired, step)
        })
        assert.isTrue(result.converged)
      }),
      { numRuns: 40 }
    )
  })

  it("down and a deleted instance drain and delete everything", () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), (s, deleted) => {
        const desired = spec({ cmd: "serve", instances: s.instances, bounce: { method: "down" } })
        const sim = new BounceSim({
          name: desired.name,
          drain: s.drain,
          healthDelay: () => 5,
          drainDelay: (seq) => s.drainDelays[seq % 40]!,
          stepSeconds: s.stepSeconds
        })
        sim.seedApp(oldId(1), s.instances)
        sim.seedApp(oldId(2), 1)
        const result = sim.run(deleted ? Option.none() : Option.some(desired), maxSteps, (current) => current.apps.length === 0)
        assert.isTrue(result.converged)
      }),
      { numRuns: 40 }
    )
  })
})
