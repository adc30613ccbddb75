// The resync sweep over a real work queue, with a scripted look: idle keys are settled without the
// queue (and counted as a worker would count them), the others are queued at low priority, a key
// the queue already has is never looked at, and the event loop turns while a sweep runs.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Queue } from "effect"
import type { Outcome } from "../../src/controller/Outcome.ts"
import { sliceMs, sweepResync } from "../../src/controller/ResyncSweep.ts"
import * as WorkQueue from "../../src/controller/WorkQueue.ts"

const done: Outcome = { _tag: "Done" }
const later: Outcome = { _tag: "RequeueAfter", seconds: 30, reason: "idle, but come back" }

/**
 * A sweep whose look says "idle" for `idle` keys only (Done, or what `idle` maps them to),
 * recording every look and how each settled key was handed on.
 */
const sweepWith = (
  queue: WorkQueue.WorkQueue,
  idle: ReadonlySet<string> | ReadonlyMap<string, Outcome>,
  freshAfter: ReadonlyMap<string, number> = new Map()
) => {
  const looked: Array<{ readonly name: string; readonly notBefore: number }> = []
  const settled: Array<string> = []
  const config = {
    queue,
    freshAfter,
    lookNow: (name: string, notBefore: number) => {
      looked.push({ name, notBefore })
      return idle instanceof Map ? idle.get(name) : idle.has(name) ? done : undefined
    },
    afterPass: (name: string, outcome: Outcome) => Effect.sync(() => void settled.push(`${name}: ${outcome._tag}`)),
    afterDonePasses: (names: ReadonlyArray<string>) =>
      Effect.sync(() => void settled.push(...names.map((name) => `${name}: Done, batched`)))
  }
  return { looked, settled, run: (names: Iterable<string>) => sweepResync(config, names) }
}

/** The keys, each holding the thread for half a slice before its look: the sweep's slices end every few keys. */
const slowly = function*(keys: ReadonlyArray<string>) {
  for (const key of keys) {
    const until = performance.now() + sliceMs / 2
    while (performance.now() < until) { /* busy */ }
    yield key
  }
}

/** `count` turns of the event loop (not time): each lets a waiting setImmediate callback run. */
const turns = (count: number) =>
  Effect.forEach(Array.from({ length: count }), () => Effect.callback<void>((resume) => void setImmediate(() => resume(Effect.void))), {
    discard: true
  })

const takeAll = (queue: WorkQueue.WorkQueue) =>
  Effect.gen(function*() {
    const keys: Array<string> = []
    while ((yield* queue.len) > 0) {
      const key = Option.getOrThrow(yield* queue.get)
      keys.push(key)
      yield* queue.done(key)
    }
    return keys
  })

describe("ResyncSweep", () => {
  it.effect("settles idle keys without the queue and queues the others at low priority", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const sweep = sweepWith(queue, new Map<string, Outcome>([["a", done], ["c", later]]), new Map([["b", 42]]))
      assert.strictEqual(yield* sweep.run(["a", "b", "c", "d"]), 2)
      // A Done is handed on with the slice's others; any other end as a worker's pass would be.
      assert.sameMembers(sweep.settled, ["c: RequeueAfter", "a: Done, batched"])
      // Each look asks for Marathon as fresh as the key needs (an event's key: after the event).
      assert.deepStrictEqual(sweep.looked, [{ name: "a", notBefore: 0 }, { name: "b", notBefore: 42 }, { name: "c", notBefore: 0 }, {
        name: "d",
        notBefore: 0
      }])
      // Low: an edit added now goes first.
      yield* queue.add("edit", "high")
      assert.deepStrictEqual(yield* takeAll(queue), ["edit", "b", "d"])
    }))

  it.effect("never looks at a key the queue has: waiting, or in a pass (it runs once more after that pass)", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("waiting", "high")
      yield* queue.add("running", "low")
      const inPass = Option.getOrThrow(yield* queue.get)
      assert.strictEqual(inPass, "waiting")
      const sweep = sweepWith(queue, new Set(["waiting", "running", "idle"]))
      yield* sweep.run(["waiting", "running", "idle"])
      assert.deepStrictEqual(sweep.looked.map((look) => look.name), ["idle"])
      assert.deepStrictEqual(sweep.settled, ["idle: Done, batched"])
      // The key in its pass was added again: handed out once that pass is done, not before.
      assert.deepStrictEqual(yield* takeAll(queue), ["running"])
      yield* queue.done(inPass)
      assert.deepStrictEqual(yield* takeAll(queue), ["waiting"])
    }))

  it.effect("lets the event loop turn between slices of looks", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
      let looksWhenTurned: number | undefined
      const sweep = sweepWith(queue, new Set(keys))
      const slowLook = sweep.run(slowly(keys))
      // Without turns, this callback would run only after the whole sweep.
      setImmediate(() => (looksWhenTurned = sweep.looked.length))
      yield* slowLook
      assert.isDefined(looksWhenTurned)
      assert.isBelow(looksWhenTurned!, 10)
    }))

  it.effect("an edit that a watch event queues during a slice is taken before the next slice starts", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`)
      const sweep = sweepWith(queue, new Set(keys))
      // As the informer does: the watch's callback (an event-loop callback) hands the event to a
      // fiber, which queues the edit.
      const events = yield* Queue.unbounded<string>()
      yield* Effect.forkChild(Effect.forever(Effect.flatMap(Queue.take(events), (name) => queue.add(name, "edit"))))
      let looksAtEvent: number | undefined
      // The event comes in during a later slice: a sweep's first turn may start one slice anyway
      // (the hold lets low work start once per hold, even while edits keep coming).
      const eventDuringASlice = function*() {
        for (const [index, key] of keys.entries()) {
          if (index === 6) {
            setImmediate(() => {
              looksAtEvent = sweep.looked.length
              Queue.offerUnsafe(events, "edited")
            })
          }
          yield* slowly([key])
        }
      }
      const sweeping = yield* Effect.forkChild(sweep.run(eventDuringASlice()))
      // The edit's worker, its pass a few turns of the event loop long.
      const key = Option.getOrThrow(yield* queue.get)
      const looksAtTake = sweep.looked.length
      yield* turns(20)
      const looksAtDone = sweep.looked.length
      yield* queue.done(key)
      assert.strictEqual(key, "edited")
      assert.isAbove(looksAtEvent!, 6)
      // No look between the event and the edit's pass, nor during that pass.
      assert.deepStrictEqual([looksAtTake, looksAtDone], [looksAtEvent, looksAtEvent])
      assert.strictEqual(yield* Fiber.join(sweeping), keys.length)
    }))

  it.effect("holds back while an edit's pass is in processing, and goes on when it is done", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("edit", "high")
      const edit = Option.getOrThrow(yield* queue.get)
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`)
      const sweep = sweepWith(queue, new Set(keys))
      const sweeping = yield* Effect.forkChild(sweep.run(slowly(keys)))
      // Enough turns of the event loop for the whole sweep, were it not held back.
      yield* turns(100)
      assert.isAbove(sweep.looked.length, 0)
      assert.isBelow(sweep.looked.length, keys.length)
      const paused = sweep.looked.length
      yield* turns(100)
      assert.strictEqual(sweep.looked.length, paused)
      yield* queue.done(edit)
      assert.strictEqual(yield* Fiber.join(sweeping), keys.length)
    }))
})
