// The heap hooks by phase (src/cli/ControllerHeap.ts): V8's own growth while a leader fills its
// caches, the configured limit once it is in sync, a full collection after each resync's list
// once in sync, and nothing at all unless a limit is configured.
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

  it.effect("collects after each resync's list only while in sync: a term filling its caches is not slowed", () =>
    Effect.gen(function*() {
      const { flags, heap } = recording({ MDEPLOY_CONTROLLER_HEAP_GROWTH: "25" })
      yield* heap!.afterResyncList
      yield* heap!.onInSync(false)
      yield* heap!.afterResyncList
      assert.deepStrictEqual(flags, ["--heap-growing-percent=0"])
      yield* heap!.onInSync(true)
      yield* heap!.afterResyncList
      yield* heap!.afterResyncList
      assert.deepStrictEqual(flags, [
        "--heap-growing-percent=0",
        "--heap-growing-percent=25",
        "full collection",
        "full collection",
        "full collection"
      ])
      // A new term: no collection per list until it is in sync again.
      yield* heap!.onInSync(false)
      yield* heap!.afterResyncList
      assert.strictEqual(flags.length, 6)
      assert.strictEqual(flags.at(-1), "--heap-growing-percent=0")
    }))

  it("sets nothing when no limit, or no valid one, is configured", () => {
    for (const value of [undefined, "", "0", "-5", "2.5", "25 --jitless", "1001"]) {
      const { heap } = recording(value === undefined ? {} : { MDEPLOY_CONTROLLER_HEAP_GROWTH: value })
      assert.isUndefined(heap, String(value))
    }
  })
})
