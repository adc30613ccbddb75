// The workload watch over a real work queue, on virtual time: a burst (many adds, or a backlog) is
// told at the next sample, its end only once the queue has stayed quiet for `settleAfter`, and a
// steady trickle of keys, or a short pause in a burst, changes nothing.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import * as WorkQueue from "../../src/controller/WorkQueue.ts"
import type { Workload } from "../../src/controller/Workload.ts"
import { defaultWorkloadOptions, watchWorkload } from "../../src/controller/Workload.ts"

// Lets forked fibers run until they block; virtual time does not move.
const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow, { discard: true })

const watched = Effect.gen(function*() {
  const queue = yield* WorkQueue.make()
  const told: Array<Workload> = []
  yield* watchWorkload(queue, (workload) => Effect.sync(() => void told.push(workload))).pipe(Effect.forkScoped)
  yield* settle
  return { queue, told }
})

/** Adds `count` fresh keys and runs each through a pass at once: adds, and no backlog. */
const passes = (queue: WorkQueue.WorkQueue, count: number, tag: string) =>
  Effect.forEach(Array.from({ length: count }, (_, index) => `${tag}-${index}`), (key) =>
    Effect.gen(function*() {
      yield* queue.add(key, "high")
      const taken = Option.getOrThrow(yield* queue.get)
      yield* queue.done(taken)
    }), { discard: true })

/** Moves virtual time on by one sample's interval, `count` times. */
const samples = (count: number) =>
  Effect.forEach(Array.from({ length: count }), () => TestClock.adjust(defaultWorkloadOptions.sampleEvery), { discard: true })

// 2 s of quiet, in samples of 250 ms.
const quietSamples = 8

describe("watchWorkload", () => {
  it.effect("tells a burst of adds at the next sample, and its end once the queue stayed quiet long enough", () =>
    Effect.gen(function*() {
      const { queue, told } = yield* watched
      yield* passes(queue, defaultWorkloadOptions.burstKeys, "rollout")
      yield* samples(1)
      assert.deepStrictEqual(told, ["busy"])
      // The first quiet sample starts the count; the end is told once it has lasted 2 s.
      yield* samples(quietSamples)
      assert.deepStrictEqual(told, ["busy"])
      yield* samples(1)
      assert.deepStrictEqual(told, ["busy", "settled"])
    }))

  it.effect("stays busy while a backlog waits, without new adds, and settles once it is worked off", () =>
    Effect.gen(function*() {
      const { queue, told } = yield* watched
      for (let index = 0; index < defaultWorkloadOptions.burstKeys; index++) yield* queue.add(`create-${index}`, "low")
      yield* samples(1 + 10 * quietSamples)
      assert.deepStrictEqual(told, ["busy"])
      while ((yield* queue.len) > 0) yield* queue.done(Option.getOrThrow(yield* queue.get))
      yield* samples(quietSamples + 1)
      assert.deepStrictEqual(told, ["busy", "settled"])
    }))

  it.effect("a trickle of keys below the burst's size is no burst", () =>
    Effect.gen(function*() {
      const { queue, told } = yield* watched
      for (let sample = 0; sample < 20; sample++) {
        yield* passes(queue, defaultWorkloadOptions.burstKeys - 1, `event-${sample}`)
        yield* samples(1)
      }
      assert.deepStrictEqual(told, [])
    }))

  it.effect("a pause shorter than the quiet needed does not end a burst", () =>
    Effect.gen(function*() {
      const { queue, told } = yield* watched
      yield* passes(queue, defaultWorkloadOptions.burstKeys, "first")
      yield* samples(quietSamples)
      yield* passes(queue, defaultWorkloadOptions.burstKeys, "second")
      yield* samples(quietSamples)
      assert.deepStrictEqual(told, ["busy"])
      yield* samples(2)
      assert.deepStrictEqual(told, ["busy", "settled"])
    }))
})
