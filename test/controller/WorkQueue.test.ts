import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Metric, Option, Scope } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as WorkQueue from "../../src/controller/WorkQueue.ts"

// Lets forked fibers run until they block; virtual time does not move.
const settle = Effect.forEach(Array.from({ length: 20 }), () => Effect.yieldNow, { discard: true })

const take = (queue: WorkQueue.WorkQueue) => Effect.map(queue.get, Option.getOrThrow)

/** Takes every key waiting now, in order, finishing each at once. */
const takeAll = (queue: WorkQueue.WorkQueue) =>
  Effect.gen(function*() {
    const keys: Array<string> = []
    while ((yield* queue.len) > 0) {
      const key = yield* take(queue)
      keys.push(key)
      yield* queue.done(key)
    }
    return keys
  })

const concurrently = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>) => Effect.all(effects, { concurrency: "unbounded" })

const addAll = (queue: WorkQueue.WorkQueue, keys: ReadonlyArray<string>, priority: WorkQueue.Priority = "high") =>
  Effect.forEach(keys, (key) => queue.add(key, priority), { discard: true })

describe("WorkQueue: fair and stingy", () => {
  it.effect("collapses adds of a key that is already waiting", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "a", "b", "a"])
      assert.strictEqual(yield* queue.len, 2)
      assert.deepStrictEqual(yield* takeAll(queue), ["a", "b"])
      assert.strictEqual((yield* queue.snapshot).addsTotal, 2)
    }))

  it.effect("hands keys out first in, first out", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["c", "a", "b"])
      assert.deepStrictEqual(yield* takeAll(queue), ["c", "a", "b"])
    }))

  it.effect("a key added during its run is parked, then run exactly once more", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      const key = yield* take(queue)
      yield* addAll(queue, ["a", "a", "a"])
      assert.strictEqual(yield* queue.len, 0, "never handed out while in processing")
      assert.strictEqual((yield* queue.snapshot).parked, 1)
      yield* queue.done(key)
      assert.strictEqual(yield* queue.len, 1)
      assert.strictEqual(yield* take(queue), "a")
      yield* queue.done("a")
      const after = yield* queue.snapshot
      assert.deepStrictEqual([after.depth, after.processing, yield* queue.len], [0, 0, 0])
    }))

  it.effect("done for a key that is not in processing changes nothing", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.done("ghost")
      yield* queue.add("a")
      yield* queue.done("a")
      assert.deepStrictEqual(yield* takeAll(queue), ["a"])
    }))

  it.effect("get waits without polling until a key is added", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const getter = yield* Effect.forkChild(queue.get)
      yield* settle
      assert.isUndefined(getter.pollUnsafe())
      yield* queue.add("a")
      assert.deepStrictEqual(yield* Fiber.join(getter), Option.some("a"))
    }))

  it.effect("N workers never hold one key at once, and every add is followed by a run", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const active = new Set<string>()
      const overlaps: Array<string> = []
      const runs = new Map<string, number>()
      const lastAddAt = new Map<string, number>()
      const lastStartAt = new Map<string, number>()
      let step = 0
      const handler = (key: string) =>
        Effect.gen(function*() {
          if (active.has(key)) overlaps.push(key)
          active.add(key)
          lastStartAt.set(key, ++step)
          runs.set(key, (runs.get(key) ?? 0) + 1)
          yield* Effect.sleep(Duration.millis(7))
          active.delete(key)
        })
      const worker = Effect.gen(function*() {
        while (Option.isSome(yield* queue.processNext(handler)));
      })
      const workers = yield* Effect.forkChild(concurrently(Array.from({ length: 5 }, () => worker)))
      const keys = ["k0", "k1", "k2", "k3"]
      const producer = Effect.forEach(Array.from({ length: 60 }, (_, i) => keys[(i * 7) % keys.length]!), (key) =>
        Effect.gen(function*() {
          lastAddAt.set(key, ++step)
          yield* queue.add(key)
          yield* Effect.sleep(Duration.millis(3))
        }), { discard: true })
      const producers = yield* Effect.forkChild(concurrently([producer, producer, producer]))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(producers)
      assert.isTrue(yield* queue.shutdownWithDrain("1 minute"))
      yield* Fiber.join(workers)
      assert.deepStrictEqual(overlaps, [])
      for (const key of keys) assert.isAbove(lastStartAt.get(key)!, lastAddAt.get(key)!, key)
      // 180 adds of 4 keys collapse into far fewer runs.
      const total = Array.from(runs.values()).reduce((a, b) => a + b, 0)
      assert.isBelow(total, 180)
    }))
})

describe("WorkQueue: priorities", () => {
  it.effect("takes high keys before low ones", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["x", "y"], "low")
      yield* queue.add("z", "high")
      assert.deepStrictEqual(yield* takeAll(queue), ["z", "x", "y"])
    }))

  it.effect("a high add of a key waiting at low moves it behind the waiting high keys", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "b", "c"], "low")
      yield* queue.add("h", "high")
      yield* queue.add("c", "high")
      assert.deepStrictEqual(yield* takeAll(queue), ["h", "c", "a", "b"])
      assert.strictEqual((yield* queue.snapshot).addsTotal, 4)
    }))

  it.effect("a low add never demotes a key waiting at high", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "b"], "high")
      yield* queue.add("l", "low")
      yield* queue.add("a", "low")
      assert.deepStrictEqual(yield* takeAll(queue), ["a", "b", "l"])
    }))

  it.effect("a parked key is queued again at the highest priority it was added at", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("k", "low")
      yield* take(queue)
      yield* queue.add("k", "low")
      yield* queue.add("k", "high")
      yield* queue.add("m", "low")
      yield* queue.done("k")
      assert.deepStrictEqual(yield* takeAll(queue), ["k", "m"])
    }))
})

describe("WorkQueue: a user's edit before Marathon's events", () => {
  it.effect("takes edits before events and events before low keys, FIFO within each", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["l1", "l2"], "low")
      yield* addAll(queue, ["e1", "e2"], "high")
      yield* addAll(queue, ["u1", "u2"], "edit")
      assert.deepStrictEqual(yield* takeAll(queue), ["u1", "u2", "e1", "e2", "l1", "l2"])
    }))

  it.effect("an edit of a key waiting for an event moves it behind the waiting edits; nothing demotes an edit", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "b", "c"], "high")
      yield* queue.add("u", "edit")
      yield* queue.add("c", "edit")
      yield* queue.add("u", "high")
      yield* queue.add("u", "low")
      assert.deepStrictEqual(yield* takeAll(queue), ["u", "c", "a", "b"])
      const snapshot = yield* queue.snapshot
      assert.strictEqual(snapshot.addsTotal, 4)
    }))

  it.effect("a parked key is queued again as an edit when an edit came during its run", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("k", "high")
      yield* take(queue)
      yield* queue.add("k", "high")
      yield* queue.add("k", "edit")
      yield* queue.add("m", "high")
      yield* queue.done("k")
      assert.deepStrictEqual(yield* takeAll(queue), ["k", "m"])
    }))

  it.effect("an edit's run holds low keys back as an event's does", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["l1", "l2"], "low")
      yield* queue.done(yield* take(queue))
      yield* queue.add("u", "edit")
      assert.strictEqual(yield* take(queue), "u")
      const getter = yield* Effect.forkChild(take(queue))
      yield* settle
      assert.isUndefined(getter.pollUnsafe(), "l2 waits while the edit runs")
      yield* queue.done("u")
      assert.strictEqual(yield* Fiber.join(getter), "l2")
    }))

  it.effect("a delayed key keeps the highest priority it was asked at", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("d", "10 millis", "high")
      yield* queue.addAfter("d", "20 millis", "edit")
      yield* queue.add("e", "high")
      yield* TestClock.adjust("10 millis")
      assert.deepStrictEqual(yield* takeAll(queue), ["d", "e"])
    }))
})

describe("WorkQueue: low keys wait while a high key runs", () => {
  /** A queue that has just run one low key (at virtual time 0) and is now running high key "h". */
  const runningHigh = Effect.gen(function*() {
    const queue = yield* WorkQueue.make()
    yield* addAll(queue, ["l1", "l2"], "low")
    yield* queue.done(yield* take(queue))
    yield* queue.add("h", "high")
    assert.strictEqual(yield* take(queue), "h")
    return queue
  })

  it.effect("a low key waits for the high run to be done, then goes at once", () =>
    Effect.gen(function*() {
      const queue = yield* runningHigh
      const getter = yield* Effect.forkChild(take(queue))
      yield* settle
      assert.isUndefined(getter.pollUnsafe())
      yield* queue.done("h")
      assert.strictEqual(yield* Fiber.join(getter), "l2")
    }))

  it.effect("a high key added meanwhile goes first; the low key still waits", () =>
    Effect.gen(function*() {
      const queue = yield* runningHigh
      yield* queue.add("h2", "high")
      assert.strictEqual(yield* take(queue), "h2")
      yield* queue.done("h")
      const getter = yield* Effect.forkChild(take(queue))
      yield* settle
      assert.isUndefined(getter.pollUnsafe())
      yield* queue.done("h2")
      assert.strictEqual(yield* Fiber.join(getter), "l2")
    }))

  it.effect("while highs never stop, a low key starts once the hold (100 ms) since the last low start is over", () =>
    Effect.gen(function*() {
      const queue = yield* runningHigh
      const getter = yield* Effect.forkChild(take(queue))
      yield* TestClock.adjust(99)
      yield* settle
      assert.isUndefined(getter.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(getter), "l2")
    }))

  it.effect("low work beside the queue (lowTurn) waits as a low key does: for the high run, or the hold", () =>
    Effect.gen(function*() {
      const queue = yield* runningHigh
      const turn = yield* Effect.forkChild(queue.lowTurn)
      yield* settle
      assert.isUndefined(turn.pollUnsafe())
      yield* queue.done("h")
      yield* Fiber.join(turn)
      // No high run in processing: at once.
      yield* queue.lowTurn
      // Highs that never stop: once the hold since the last low start (that turn) is over.
      yield* queue.add("h2", "high")
      assert.strictEqual(yield* take(queue), "h2")
      const held = yield* Effect.forkChild(queue.lowTurn)
      yield* TestClock.adjust(99)
      yield* settle
      assert.isUndefined(held.pollUnsafe())
      yield* TestClock.adjust(1)
      yield* Fiber.join(held)
    }))

  it.effect("low work beside the queue also waits for an edit that is queued and not yet taken", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.lowTurn
      // Queued by a watch event; its worker is woken but has not run yet.
      yield* queue.add("e", "edit")
      const turn = yield* Effect.forkChild(queue.lowTurn)
      yield* settle
      assert.isUndefined(turn.pollUnsafe())
      assert.strictEqual(yield* take(queue), "e")
      yield* settle
      assert.isUndefined(turn.pollUnsafe())
      yield* queue.done("e")
      yield* Fiber.join(turn)
    }))

  it.effect("with no high run in processing, low keys go one after another", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "b", "c"], "low")
      assert.deepStrictEqual([yield* take(queue), yield* take(queue), yield* take(queue)], ["a", "b", "c"])
    }))
})

describe("WorkQueue: delayed adds", () => {
  it.effect("adds the key only once the delay has passed", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", "50 millis")
      yield* TestClock.adjust(49)
      assert.strictEqual(yield* queue.len, 0)
      assert.strictEqual((yield* queue.snapshot).delayed, 1)
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* queue.len, 1)
    }))

  it.effect("a key waiting for several delays keeps the earliest (earlier second)", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", "50 millis")
      yield* queue.addAfter("a", "20 millis")
      yield* TestClock.adjust(20)
      assert.deepStrictEqual(yield* takeAll(queue), ["a"])
      yield* TestClock.adjust(100)
      assert.strictEqual(yield* queue.len, 0, "the superseded 50 ms add never fires")
    }))

  it.effect("a key waiting for several delays keeps the earliest (earlier first)", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", "20 millis")
      yield* queue.addAfter("a", "50 millis")
      yield* TestClock.adjust(20)
      assert.deepStrictEqual(yield* takeAll(queue), ["a"])
      yield* TestClock.adjust(100)
      assert.strictEqual(yield* queue.len, 0)
    }))

  it.effect("fires keys in order of readiness, not of adding", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", "1 second")
      yield* queue.addAfter("b", "50 millis")
      yield* queue.addAfter("c", "500 millis")
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* takeAll(queue), ["b", "c", "a"])
    }))

  it.effect("a zero delay adds at once, and every delayed add counts as a retry", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", 0)
      yield* queue.addAfter("b", "1 minute")
      assert.strictEqual(yield* queue.len, 1)
      assert.strictEqual((yield* queue.snapshot).retriesTotal, 2)
    }))

  it.effect("a delayed add of a key in processing parks it when it fires", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      yield* take(queue)
      yield* queue.addAfter("a", "10 millis")
      yield* TestClock.adjust(10)
      assert.strictEqual((yield* queue.snapshot).parked, 1)
      yield* queue.done("a")
      assert.deepStrictEqual(yield* takeAll(queue), ["a"])
    }))
})

describe("WorkQueue: rate-limited adds", () => {
  it.effect("backoff starts at 5 ms, doubles per failure and resets on forget", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const delays: Array<number> = []
      for (let i = 0; i < 4; i++) delays.push(Duration.toMillis(yield* queue.addRateLimited("a")))
      assert.deepStrictEqual(delays, [5, 10, 20, 40])
      assert.strictEqual(yield* queue.numRequeues("a"), 4)
      assert.strictEqual(yield* queue.numRequeues("b"), 0)
      yield* queue.forget("a")
      assert.strictEqual(yield* queue.numRequeues("a"), 0)
      assert.strictEqual(Duration.toMillis(yield* queue.addRateLimited("a")), 5)
    }))

  it.effect("the key arrives when its backoff has passed", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addRateLimited("a")
      yield* queue.addRateLimited("a")
      // Both delays wait for the key; the earliest (5 ms) wins.
      yield* TestClock.adjust(4)
      assert.strictEqual(yield* queue.len, 0)
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(yield* takeAll(queue), ["a"])
    }))

  it.effect("per-key backoff is capped at maxDelay", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ baseDelay: "1 millis", maxDelay: "1 second" })
      const delays: Array<number> = []
      for (let i = 0; i < 12; i++) delays.push(Duration.toMillis(yield* queue.addRateLimited("a")))
      assert.deepStrictEqual(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000])
    }))

  it.effect("the default cap is 1000 s, reached on the 19th failure", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ retryQps: Infinity })
      const delays: Array<number> = []
      for (let i = 0; i < 20; i++) delays.push(Duration.toMillis(yield* queue.addRateLimited("a")))
      assert.deepStrictEqual(delays.slice(16), [327_680, 655_360, 1_000_000, 1_000_000])
    }))

  it.effect("a global token bucket limits retries across keys; the slower limit wins", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ retryQps: 1, retryBurst: 2 })
      const delays: Array<number> = []
      for (const key of ["a", "b", "c", "d"]) delays.push(Duration.toMillis(yield* queue.addRateLimited(key)))
      assert.deepStrictEqual(delays, [5, 5, 1000, 2000])
      // First adds are not rate limited.
      yield* queue.add("fresh")
      assert.strictEqual(yield* queue.len, 1)
    }))

  it.effect("a requeue made during a run keeps the priority the key was taken at", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("r", "low")
      yield* take(queue)
      yield* queue.addRateLimited("r")
      yield* queue.done("r")
      yield* queue.add("l", "low")
      yield* TestClock.adjust(5)
      assert.deepStrictEqual(yield* takeAll(queue), ["l", "r"])
    }))
})

describe("WorkQueue: shutdown", () => {
  it.effect("wakes every waiting get with None", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const getters = yield* Effect.forkChild(concurrently([queue.get, queue.get, queue.get]))
      yield* settle
      yield* queue.shutdown
      assert.deepStrictEqual(yield* Fiber.join(getters), [Option.none(), Option.none(), Option.none()])
    }))

  it.effect("refuses new adds but still hands out the keys already queued", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      yield* queue.shutdown
      yield* queue.add("b")
      assert.isTrue(yield* queue.isShuttingDown)
      assert.deepStrictEqual(yield* queue.get, Option.some("a"))
      assert.deepStrictEqual(yield* queue.get, Option.none())
    }))

  it.effect("drops delayed adds that have not fired", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.addAfter("a", "10 millis")
      yield* queue.shutdown
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* queue.get, Option.none())
    }))

  it.effect("shutdownWithDrain waits until every key in processing is done", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* addAll(queue, ["a", "b"])
      yield* take(queue)
      yield* take(queue)
      const drain = yield* Effect.forkChild(queue.shutdownWithDrain("1 minute"))
      yield* settle
      assert.isUndefined(drain.pollUnsafe())
      yield* queue.done("a")
      yield* settle
      assert.isUndefined(drain.pollUnsafe())
      yield* queue.done("b")
      assert.isTrue(yield* Fiber.join(drain))
    }))

  it.effect("shutdownWithDrain gives up at its deadline", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      yield* take(queue)
      const drain = yield* Effect.forkChild(queue.shutdownWithDrain("1 second"))
      yield* TestClock.adjust(999)
      assert.isUndefined(drain.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.isFalse(yield* Fiber.join(drain))
    }))

  it.effect("shutdownWithDrain with nothing in processing returns at once", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      assert.isTrue(yield* queue.shutdownWithDrain(0))
    }))

  it.effect("closing the queue's scope shuts it down", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const queue = yield* WorkQueue.make().pipe(Scope.provide(scope))
      const getter = yield* Effect.forkChild(queue.get)
      yield* settle
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* Fiber.join(getter), Option.none())
    }))
})

describe("WorkQueue: processNext", () => {
  it.effect("calls done when the handler fails", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      const exit = yield* Effect.exit(queue.processNext(() => Effect.fail("boom")))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* queue.snapshot).processing, 0)
      yield* queue.add("a")
      assert.strictEqual(yield* queue.len, 1)
    }))

  it.effect("calls done when the worker is interrupted mid-run", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      const worker = yield* Effect.forkChild(queue.processNext(() => Effect.never))
      yield* settle
      assert.strictEqual((yield* queue.snapshot).processing, 1)
      yield* Fiber.interrupt(worker)
      assert.strictEqual((yield* queue.snapshot).processing, 0)
    }))

  it.effect("returns the handler's result, and None once shut down and empty", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      yield* queue.add("a")
      assert.deepStrictEqual(yield* queue.processNext((key) => Effect.succeed(key.toUpperCase())), Option.some("A"))
      yield* queue.shutdown
      assert.deepStrictEqual(yield* queue.processNext(Effect.succeed), Option.none())
    }))

  it.effect("a woken worker that is interrupted loses no key and no wake-up", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make()
      const ran: Array<string> = []
      const first = yield* Effect.forkChild(
        queue.processNext((key) => Effect.andThen(Effect.sync(() => ran.push(`first ${key}`)), Effect.never))
      )
      const second = yield* Effect.forkChild(queue.processNext((key) => Effect.sync(() => ran.push(`second ${key}`))))
      yield* settle
      yield* queue.add("a")
      yield* Fiber.interrupt(first)
      yield* settle
      // Either the first worker had taken "a" (its run was interrupted and done) or it passed the
      // wake-up to the second; "a" is never left in processing or waiting with a worker asleep.
      assert.strictEqual((yield* queue.snapshot).processing, 0)
      if (second.pollUnsafe() === undefined) {
        assert.deepStrictEqual(ran, ["first a"])
        yield* queue.add("b")
      }
      yield* Fiber.join(second)
      assert.include(["first a,second b", "second a"], ran.join(","))
    }))
})

describe("WorkQueue: metrics", () => {
  const series = (id: string, name: string) =>
    Effect.map(Metric.snapshot, (all) => all.find((s) => s.id === id && s.attributes?.["name"] === name))
  const counter = (id: string, name: string) =>
    Effect.map(series(id, name), (s) => (s?.type === "Counter" ? Number(s.state.count) : undefined))
  const gauge = (id: string, name: string) => Effect.map(series(id, name), (s) => (s?.type === "Gauge" ? Number(s.state.value) : undefined))
  const histogram = (id: string, name: string) =>
    Effect.map(series(id, name), (s) => s?.type === "Histogram" ? { count: s.state.count, sum: s.state.sum } : undefined)

  it.effect("records client-go's work-queue metrics under the queue's name", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ name: "reconcile" })
      yield* addAll(queue, ["a", "b", "a"])
      assert.strictEqual(yield* counter("workqueue_adds_total", "reconcile"), 2)
      assert.strictEqual(yield* gauge("workqueue_depth", "reconcile"), 2)
      yield* TestClock.adjust("2 seconds")
      yield* take(queue)
      assert.deepStrictEqual(yield* histogram("workqueue_queue_duration_seconds", "reconcile"), { count: 1, sum: 2 })
      assert.strictEqual(yield* gauge("workqueue_depth", "reconcile"), 1)
      yield* TestClock.adjust("3 seconds")
      yield* queue.done("a")
      assert.deepStrictEqual(yield* histogram("workqueue_work_duration_seconds", "reconcile"), { count: 1, sum: 3 })
      yield* queue.addAfter("c", "1 minute")
      yield* queue.addRateLimited("d")
      assert.strictEqual(yield* counter("workqueue_retries_total", "reconcile"), 2)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("unfinished work and the longest run are refreshed every 500 ms and on snapshot", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.make({ name: "ages" })
      yield* addAll(queue, ["a", "b"])
      yield* take(queue)
      yield* TestClock.adjust("1 second")
      yield* take(queue)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* gauge("workqueue_unfinished_work_seconds", "ages"), 3)
      assert.strictEqual(yield* gauge("workqueue_longest_running_processor_seconds", "ages"), 2)
      yield* TestClock.adjust(250)
      const snapshot = yield* queue.snapshot
      assert.strictEqual(snapshot.unfinishedWorkSeconds, 3.5)
      assert.strictEqual(snapshot.longestRunningProcessorSeconds, 2.25)
      assert.strictEqual(yield* gauge("workqueue_unfinished_work_seconds", "ages"), 3.5)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("queues with different names keep separate series", () =>
    Effect.gen(function*() {
      const one = yield* WorkQueue.make({ name: "one" })
      const two = yield* WorkQueue.make({ name: "two" })
      yield* one.add("a")
      yield* addAll(two, ["a", "b"])
      assert.deepStrictEqual(
        [yield* counter("workqueue_adds_total", "one"), yield* counter("workqueue_adds_total", "two")],
        [1, 2]
      )
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})

// Random interleavings of adds (from several producer fibers) and runs (several worker fibers),
// driven by virtual time and yields. Replaying the log must show (1) no key held by two workers
// at once and (2) a run of every key starting after each of its adds.
type LogEntry = { readonly op: "add" | "start" | "end"; readonly key: string }

const interleaving = fc.record({
  producers: fc.array(
    fc.array(
      fc.record({
        pause: fc.integer({ min: 0, max: 4 }),
        key: fc.constantFrom("a", "b", "c", "d"),
        priority: fc.constantFrom<WorkQueue.Priority>("edit", "high", "low")
      }),
      { maxLength: 12 }
    ),
    { minLength: 1, maxLength: 3 }
  ),
  workers: fc.integer({ min: 1, max: 4 }),
  workTimes: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 })
})

const pause = (millis: number) => (millis === 0 ? Effect.yieldNow : Effect.sleep(Duration.millis(millis)))

const runInterleaving = (input: typeof interleaving extends fc.Arbitrary<infer A> ? A : never) =>
  Effect.gen(function*() {
    const queue = yield* WorkQueue.make()
    const log: Array<LogEntry> = []
    let runs = 0
    const handler = (key: string) =>
      Effect.gen(function*() {
        log.push({ op: "start", key })
        yield* pause(input.workTimes[runs++ % input.workTimes.length]!)
        log.push({ op: "end", key })
      })
    const worker = Effect.gen(function*() {
      while (Option.isSome(yield* queue.processNext(handler)));
    })
    const producer = (steps: (typeof input.producers)[number]) =>
      Effect.forEach(steps, (step) =>
        Effect.gen(function*() {
          yield* pause(step.pause)
          log.push({ op: "add", key: step.key })
          yield* queue.add(step.key, step.priority)
        }), { discard: true })
    const workers = yield* Effect.forkChild(concurrently(Array.from({ length: input.workers }, () => worker)))
    yield* Effect.forkChild(concurrently(input.producers.map(producer)))
    yield* TestClock.adjust("10 seconds")
    const drained = yield* Effect.forkChild(queue.shutdownWithDrain("1 minute"))
    yield* TestClock.adjust("1 minute")
    assert.isTrue(yield* Fiber.join(drained))
    yield* Fiber.join(workers)

    const held = new Set<string>()
    const pendingAdds = new Set<string>()
    for (const entry of log) {
      if (entry.op === "add") pendingAdds.add(entry.key)
      if (entry.op === "start") {
        assert.isFalse(held.has(entry.key), `two workers on ${entry.key}`)
        held.add(entry.key)
        pendingAdds.delete(entry.key)
      }
      if (entry.op === "end") held.delete(entry.key)
    }
    assert.deepStrictEqual([...pendingAdds], [], "keys added after their last run started")
    const snapshot = yield* queue.snapshot
    assert.deepStrictEqual([snapshot.depth, snapshot.processing], [0, 0])
  })

describe("WorkQueue: properties", () => {
  it("random interleavings keep one worker per key and run every add", () =>
    fc.assert(
      fc.asyncProperty(interleaving, (input) =>
        Effect.runPromise(runInterleaving(input).pipe(Effect.scoped, Effect.provide(TestClock.layer())))),
      { numRuns: 150 }
    ))
})
