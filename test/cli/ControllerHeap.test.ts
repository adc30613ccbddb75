// The heap hook by workload (src/cli/ControllerHeap.ts): V8's own growth while a leader fills its
// caches, the configured limit once it is settled (with one full collection then: after a new
// leader's sync, a little later), twice that during a burst of work, and nothing at all unless a
// limit is configured.
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { afterSyncCollection, burstGrowthPercent, heapGrowthByPhase } from "../../src/cli/ControllerHeap.ts"

const recording = (env: Record<string, string>) => {
  const flags: Array<string> = []
  return {
    flags,
    heap: heapGrowthByPhase(
      env,
      (flag) => flags.push(flag),
      (reduceMemory) => flags.push(reduceMemory ? "memory-reducing collection" : "full collection")
    )
  }
}

describe("heapGrowthByPhase", () => {
  it.effect("limits growth once settled, with a full collection then; lifts it while caches fill; raises it for a burst", () =>
    Effect.gen(function*() {
      const { flags, heap } = recording({ MDEPLOY_CONTROLLER_HEAP_GROWTH: "25" })
      assert.isDefined(heap)
      for (const workload of ["filling", "settled", "busy", "settled", "filling", "settled"] as const) {
        yield* heap!.onWorkload(workload)
        // A sync's collection comes later, not with the sweep that settled.
        if (workload === "settled" && flags.at(-1) !== "memory-reducing collection") {
          assert.strictEqual(flags.at(-1), "--heap-growing-percent=25")
          yield* TestClock.adjust(Duration.subtract(afterSyncCollection, Duration.millis(1)))
          assert.strictEqual(flags.at(-1), "--heap-growing-percent=25")
          yield* TestClock.adjust(Duration.millis(1))
        }
      }
      assert.deepStrictEqual(flags, [
        "--heap-growing-percent=0",
        "--heap-growing-percent=25",
        "full collection",
        "--heap-growing-percent=50",
        "--heap-growing-percent=25",
        // What a burst grew is given back.
        "memory-reducing collection",
        "--heap-growing-percent=0",
        "--heap-growing-percent=25",
        "full collection"
      ])
    }))

  it("gives a burst twice the settled limit, at most V8's 1000", () => {
    assert.deepStrictEqual([1, 25, 200, 600].map(burstGrowthPercent), [2, 50, 400, 1000])
  })

  it("sets nothing when no limit, or no valid one, is configured", () => {
    for (const value of [undefined, "", "0", "-5", "2.5", "25 --jitless", "1001"]) {
      const { heap } = recording(value === undefined ? {} : { MDEPLOY_CONTROLLER_HEAP_GROWTH: value })
      assert.isUndefined(heap, String(value))
    }
  })
})
