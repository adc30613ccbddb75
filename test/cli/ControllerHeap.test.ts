// The heap hook by phase (src/cli/ControllerHeap.ts): V8's own growth while a leader fills its
// caches, the configured limit once it is in sync (with one full collection then), and nothing at
// all unless a limit is configured.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { heapGrowthByPhase } from "../../src/cli/ControllerHeap.ts"

const recording = (env: Record<string, string>) => {
  const flags: Array<string> = []
  return { flags, heap: heapGrowthByPhase(env, (flag) => flags.push(flag), () => flags.push("full collection")) }
}

describe("heapGrowthByPhase", () => {
  it.effect("limits growth once in sync, with a full collection then, and lifts the limit when caches fill again", () =>
    Effect.gen(function*() {
      const { flags, heap } = recording({ MDEPLOY_CONTROLLER_HEAP_GROWTH: "25" })
      assert.isDefined(heap)
      yield* heap!.onInSync(false)
      yield* heap!.onInSync(true)
      yield* heap!.onInSync(false)
      assert.deepStrictEqual(flags, [
        "--heap-growing-percent=0",
        "--heap-growing-percent=25",
        "full collection",
        "--heap-growing-percent=0"
      ])
    }))

  it("sets nothing when no limit, or no valid one, is configured", () => {
    for (const value of [undefined, "", "0", "-5", "2.5", "25 --jitless", "1001"]) {
      const { heap } = recording(value === undefined ? {} : { MDEPLOY_CONTROLLER_HEAP_GROWTH: value })
      assert.isUndefined(heap, String(value))
    }
  })
})
