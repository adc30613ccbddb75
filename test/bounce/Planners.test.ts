import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { brutal } from "../../src/bounce/Brutal.ts"
import { crossover } from "../../src/bounce/Crossover.ts"
import { down } from "../../src/bounce/Down.ts"
import { downthenup } from "../../src/bounce/DownThenUp.ts"
import type { BounceInput } from "../../src/bounce/Planner.ts"
import { planners } from "../../src/bounce/Planners.ts"
import { upthendown } from "../../src/bounce/UpThenDown.ts"
import { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)
const input = (overrides: Partial<BounceInput<string>>): BounceInput<string> => ({
  instances: 5,
  newAppRunning: false,
  happyNew: [],
  oldNonDraining: [],
  marginFactor: 1,
  ...overrides
})

describe("bounce planners (paasta-behaviour §4.3, §8 BL)", () => {
  it("1: with no apps at all brutal/upthendown/crossover/downthenup create and drain nothing", () => {
    for (const planner of [brutal, upthendown, crossover, downthenup]) {
      assert.deepStrictEqual(planner(input({})), { createApp: true, toDrain: [] })
    }
  })

  it("2: new app with I happy tasks and no old tasks: nothing created or drained, whatever the method", () => {
    for (const planner of Object.values(planners)) {
      assert.deepStrictEqual(planner(input({ newAppRunning: true, happyNew: ids("n", 5) })), { createApp: false, toDrain: [] })
    }
  })

  it("3: brutal drains every old task, happy and unhappy, when the new app runs", () => {
    const old = [...ids("happy", 3), ...ids("unhappy", 2)]
    assert.deepStrictEqual(brutal(input({ newAppRunning: true, happyNew: ids("n", 1), oldNonDraining: old })).toDrain, old)
  })

  it("4: brutal with only old tasks creates the new app and drains all old tasks in the same step", () => {
    const old = ids("o", 5)
    assert.deepStrictEqual(brutal(input({ oldNonDraining: old })), { createApp: true, toDrain: old })
  })

  it("5: upthendown with only old tasks creates the new app and drains nothing", () => {
    assert.deepStrictEqual(upthendown(input({ oldNonDraining: ids("o", 5) })), { createApp: true, toDrain: [] })
  })

  it("6: upthendown with 3 of 5 new tasks happy drains nothing", () => {
    const decision = upthendown(input({ newAppRunning: true, happyNew: ids("n", 3), oldNonDraining: ids("o", 5) }))
    assert.deepStrictEqual(decision, { createApp: false, toDrain: [] })
  })

  it("7: upthendown with 5 of 5 new tasks happy drains every old task, happy and unhappy", () => {
    const old = [...ids("happy", 5), ...ids("unhappy", 2)]
    const decision = upthendown(input({ newAppRunning: true, happyNew: ids("n", 5), oldNonDraining: old }))
    assert.deepStrictEqual(decision.toDrain, old)
  })

  it("upthendown needs exact equality: a surplus of happy new tasks drains nothing yet", () => {
    const decision = upthendown(input({ newAppRunning: true, happyNew: ids("n", 6), oldNonDraining: ids("o", 5) }))
    assert.deepStrictEqual(decision.toDrain, [])
  })

  it("8: crossover with 5 old happy tasks, no new app, margin 1: creates and drains nothing", () => {
    assert.deepStrictEqual(crossover(input({ oldNonDraining: ids("o", 5) })), { createApp: true, toDrain: [] })
  })

  it("11: crossover, I=5, no happy new task, 5 old unhappy: nothing drained", () => {
    const decision = crossover(input({ newAppRunning: true, oldNonDraining: ids("unhappy", 5) }))
    assert.deepStrictEqual(decision.toDrain, [])
  })

  it("13: crossover, I=5, 3 happy new, 5 old happy: exactly 3 old tasks drained (the tail)", () => {
    const old = ids("o", 5)
    const decision = crossover(input({ newAppRunning: true, happyNew: ids("n", 3), oldNonDraining: old }))
    assert.deepStrictEqual(decision.toDrain, ["o3", "o4", "o5"])
  })

  it("15: crossover, I=5, 3 happy new, 2 old happy + 5 old unhappy: exactly the 5 unhappy drained", () => {
    const old = [...ids("happy", 2), ...ids("unhappy", 5)]
    const decision = crossover(input({ newAppRunning: true, happyNew: ids("n", 3), oldNonDraining: old }))
    assert.deepStrictEqual(decision.toDrain, ids("unhappy", 5))
  })

  it("§4.4 margin arithmetic: I=100 m=0.95 drains 5; I=500 m=0.95 H=100 drains 25 unhappy; I=3 m=0.66 drains 1", () => {
    assert.strictEqual(crossover(input({ instances: 100, marginFactor: 0.95, oldNonDraining: ids("o", 100) })).toDrain.length, 5)
    const big = crossover(input({
      instances: 500,
      marginFactor: 0.95,
      newAppRunning: true,
      happyNew: ids("n", 100),
      oldNonDraining: [...ids("happy", 300), ...ids("unhappy", 100)]
    }))
    assert.deepStrictEqual(big.toDrain, ids("unhappy", 100).slice(75))
    assert.deepStrictEqual(crossover(input({ instances: 3, marginFactor: 0.66, oldNonDraining: ids("o", 3) })).toDrain, ["o3"])
  })

  it("19: downthenup with only old tasks drains them all and does not create the new app", () => {
    const old = ids("o", 2)
    assert.deepStrictEqual(downthenup(input({ oldNonDraining: old })), { createApp: false, toDrain: old })
    assert.deepStrictEqual(downthenup(input({ oldNonDraining: [] })), { createApp: true, toDrain: [] })
  })

  it("down drains everything and never creates", () => {
    assert.deepStrictEqual(down(input({ oldNonDraining: ids("o", 2) })), { createApp: false, toDrain: ["o1", "o2"] })
    assert.deepStrictEqual(down(input({})), { createApp: false, toDrain: [] })
  })

  it("20: the registry returns the planner of each method, typed by BounceMethod", () => {
    assert.strictEqual(planners.brutal, brutal)
    assert.strictEqual(planners.upthendown, upthendown)
    assert.strictEqual(planners.downthenup, downthenup)
    assert.strictEqual(planners.crossover, crossover)
    assert.strictEqual(planners.down, down)
    assert.deepStrictEqual(Object.keys(planners).sort(), ["brutal", "crossover", "down", "downthenup", "upthendown"])
  })

  it("47/48: an unknown bounce or drain method is an invalid spec, never a run-time lookup failure", () => {
    const decode = Schema.decodeUnknownExit(ServiceInstanceSpec)
    assert.isTrue(Exit.isFailure(decode({ cmd: "./serve", bounce: { method: "sideways" } })))
    assert.isTrue(Exit.isFailure(decode({ cmd: "./serve", drain: { method: "crashy_drain" } })))
    assert.isTrue(Exit.isSuccess(decode({ cmd: "./serve", bounce: { method: "downthenup" }, drain: { method: "test" } })))
  })
})
