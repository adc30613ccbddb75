// The controller's workers and leadership loop as services on TestClock: what happens to a key
// after each kind of outcome (done, requeue after, lock held, retryable and terminal failures),
// and what lost leadership does to passes in flight and to the passes after it.
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { Outcome } from "../../src/controller/Outcome.ts"
import { Reconciler } from "../../src/controller/Reconciler.ts"
import * as WorkQueue from "../../src/controller/WorkQueue.ts"
import { runWorkers, shutdownGrace } from "../../src/controller/Workers.ts"
import { MarathonError, Unavailable } from "../../src/marathon/MarathonError.ts"
import { InvalidSpec } from "../../src/controller/Outcome.ts"
import { Leadership, runAsLeader } from "../../src/store/Leadership.ts"
import type { Leader } from "../../src/store/Leadership.ts"
import { makeMemoryElection } from "../../src/store/MemoryElection.ts"

interface Call {
  readonly name: string
  readonly at: number
  readonly notBefore: number | undefined
}

const done: Outcome = { _tag: "Done" }
const retryable: Outcome = {
  _tag: "Failed",
  terminal: false,
  error: new MarathonError({ method: "GET", path: "/v2/apps", reason: new Unavailable({ message: "down" }) }),
  message: "Marathon down"
}
const terminal: Outcome = { _tag: "Failed", terminal: true, error: new InvalidSpec({ message: "bad spec" }), message: "bad spec" }

/** A reconciler that answers each key from its script (the last answer repeats) and logs every call. */
const scripted = (script: Record<string, ReadonlyArray<Outcome>>, calls: Array<Call>) =>
  Reconciler.of({
    reconcile: (name, options) =>
      Effect.gen(function*() {
        calls.push({ name, at: yield* Clock.currentTimeMillis, notBefore: options?.notBefore })
        const answers = script[name] ?? [done]
        const made = calls.filter((call) => call.name === name).length
        return answers[Math.min(made, answers.length) - 1]!
      }),
    // Every key goes through the queue: these tests are about the workers' handling of outcomes.
    lookNow: () => undefined
  })

/** Lets forked fibers run until `ready` holds, without moving the clock. */
const settle = (ready: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 10_000; turn++) {
      if (ready()) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error(`never settled: ${what}`))
  })

/** Moves the clock in small steps until `ready` holds: for waits that start only after a fiber gets to them. */
const advanceUntil = (ready: () => boolean, what: string, limit: Duration.Input = "1 minute") =>
  Effect.gen(function*() {
    const steps = Duration.toMillis(limit) / 100
    for (let step = 0; step < steps; step++) {
      if (ready()) return
      yield* TestClock.adjust("100 millis")
      for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow
    }
    if (!ready()) return yield* Effect.die(new Error(`never happened: ${what}`))
  })

const timesOf = (calls: ReadonlyArray<Call>, name: string) => calls.filter((call) => call.name === name).map((call) => call.at)

describe("the controller's workers (Reconciler stand-in, real WorkQueue, TestClock)", () => {
  it.effect("no pass before the workers are ready (the caches listed): queued keys wait, then run", () =>
    Effect.gen(function*() {
      const calls: Array<Call> = []
      const queue = yield* WorkQueue.make({ name: "ready" })
      const ready = yield* Deferred.make<void>()
      yield* runWorkers({ queue, workers: 3, freshAfter: new Map(), ready: Deferred.await(ready) }).pipe(
        Effect.provideService(Reconciler, scripted({}, calls))
      )
      for (const name of ["a", "b", "c", "d"]) yield* queue.add(name)
      for (let turn = 0; turn < 200; turn++) yield* Effect.yieldNow
      yield* TestClock.adjust("10 seconds")
      for (let turn = 0; turn < 200; turn++) yield* Effect.yieldNow
      assert.deepStrictEqual(calls, [], "a pass ran before the caches were listed")
      yield* Deferred.succeed(ready, undefined)
      yield* settle(() => calls.length === 4, "every queued key once ready")
      assert.deepStrictEqual(calls.map((call) => call.name).sort(), ["a", "b", "c", "d"])
    }).pipe(Effect.scoped))

  it.effect("each outcome decides when the key runs again: forget, requeue after, fixed delay, doubling backoff, never", () =>
    Effect.gen(function*() {
      const calls: Array<Call> = []
      const script: Record<string, ReadonlyArray<Outcome>> = {
        done: [done],
        later: [{ _tag: "RequeueAfter", seconds: 30, reason: "drain in progress" }, done],
        busy: [{ _tag: "LockHeld", holder: "mdeploy-reconcile@host/1", seconds: 2 }, done],
        flaky: [retryable, retryable, retryable, done, retryable],
        broken: [terminal]
      }
      const queue = yield* WorkQueue.make({ name: "loop", baseDelay: "1 second", maxDelay: "1 minute" })
      const freshAfter = new Map<string, number>()
      yield* runWorkers({ queue, workers: 2, freshAfter }).pipe(Effect.provideService(Reconciler, scripted(script, calls)))
      for (const name of Object.keys(script)) yield* queue.add(name)
      yield* settle(() => calls.length === 5, "the first pass of every key")

      // Walk the clock a second at a time so every due key runs when it is due, not later.
      for (let second = 0; second < 60; second++) {
        yield* TestClock.adjust("1 second")
        yield* Effect.yieldNow
      }
      const expectedAfter = (name: string, count: number) =>
        settle(() => timesOf(calls, name).length === count, `${name} ran ${count} times`)
      yield* expectedAfter("later", 2)
      yield* expectedAfter("flaky", 4)
      assert.deepStrictEqual(timesOf(calls, "done"), [0], "done: forgotten, not run again without an event")
      assert.deepStrictEqual(timesOf(calls, "broken"), [0], "terminal: never retried")
      assert.deepStrictEqual(timesOf(calls, "busy"), [0, 2_000], "lock held: back after its fixed delay")
      assert.deepStrictEqual(timesOf(calls, "later"), [0, 30_000], "requeue after: back on time")
      assert.deepStrictEqual(timesOf(calls, "flaky"), [0, 1_000, 3_000, 7_000], "retryable: 1 s, 2 s, 4 s")
      // A key that comes back asks for Marathon's state from when it was due, not the snapshot it left.
      assert.strictEqual(calls.filter((call) => call.name === "later")[1]!.notBefore, 30_000)
      assert.strictEqual(calls.filter((call) => call.name === "flaky")[3]!.notBefore, 7_000)

      // Success forgot flaky's failures: its next failure starts the backoff again at 1 s.
      yield* queue.add("flaky")
      yield* settle(() => timesOf(calls, "flaky").length === 5, "flaky fails once more")
      const failedAt = timesOf(calls, "flaky")[4]!
      yield* TestClock.adjust("999 millis")
      yield* Effect.yieldNow
      assert.strictEqual(timesOf(calls, "flaky").length, 5)
      yield* TestClock.adjust("1 millis")
      yield* settle(() => timesOf(calls, "flaky").length === 6, "flaky retried after 1 s")
      assert.strictEqual(timesOf(calls, "flaky")[5]! - failedAt, 1_000)

      // An hour later, the terminal and done keys have still not run again.
      yield* TestClock.adjust("1 hour")
      yield* Effect.yieldNow
      assert.deepStrictEqual(timesOf(calls, "broken"), [0])
      assert.deepStrictEqual(timesOf(calls, "done"), [0])
    }).pipe(Effect.scoped))
})

describe("the controller under lost leadership (memory election, TestClock)", () => {
  it.effect("a deposed leader's pass in flight is interrupted, and no pass runs outside a term held by its runner", () =>
    Effect.gen(function*() {
      const election = yield* makeMemoryElection
      const calls: Array<{ readonly identity: string; readonly term: string; readonly name: string }> = []
      const violations: Array<string> = []
      const interrupted: Array<string> = []
      const slowStarted = yield* Deferred.make<string>()

      // What a leader runs each term: a queue, the workers, the keys to look at (like the controller's lead).
      const lead = (identity: string) => (leader: Leader) =>
        Effect.gen(function*() {
          const term = leader.fence.createRevision
          const reconciler = Reconciler.of({
            reconcile: (name) =>
              Effect.gen(function*() {
                // Checked on every pass, not once at the end: only the seat's holder, in its own term, reconciles.
                const holder = yield* election.holder
                const valid = yield* leader.session.isValid
                if (holder !== identity || !valid) {
                  violations.push(`${identity} (term ${term}) reconciled ${name} while ${holder ?? "nobody"} leads`)
                }
                calls.push({ identity, term, name })
                if (name !== "slow") return done
                yield* Deferred.succeed(slowStarted, identity)
                return yield* Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(`${identity}/${term}`))))
              }),
            lookNow: () => undefined
          })
          const queue = yield* WorkQueue.make({ name: `loop-${identity}`, baseDelay: "1 second", maxDelay: "1 minute" })
          yield* runWorkers({ queue, workers: 2, freshAfter: new Map() }).pipe(Effect.provideService(Reconciler, reconciler))
          for (const name of ["web.main", "slow", "api.main"]) yield* queue.add(name)
          // A resync every 10 s, as the controller's drift timer does.
          yield* Effect.sleep("10 seconds").pipe(
            Effect.andThen(Effect.forEach(["web.main", "api.main"], (name) => queue.add(name), { discard: true })),
            Effect.forever,
            Effect.forkScoped
          )
          return yield* Effect.never
        }).pipe(Effect.scoped)

      const candidate = (identity: string) =>
        runAsLeader({ identity, ttlSeconds: 3 }, lead(identity)).pipe(
          Effect.provide(Leadership.layerFromElection(election)),
          Effect.forkChild
        )
      const a = yield* candidate("a")
      const b = yield* candidate("b")
      const first = yield* Deferred.await(slowStarted)
      yield* settle(() => calls.length === 3, "the first term's three passes")
      assert.strictEqual(yield* election.holder, first)
      assert.deepStrictEqual([...new Set(calls.map((call) => call.identity))], [first], "the standby reconciles nothing")

      // The lease is lost mid-pass: the pass in flight gets its grace, then is interrupted.
      yield* election.depose
      const deposedAt = yield* Clock.currentTimeMillis
      yield* advanceUntil(() => interrupted.length === 1, "the deposed leader's pass interrupted")
      assert.deepStrictEqual(interrupted, [`${first}/1`])
      assert.isAtMost(
        (yield* Clock.currentTimeMillis) - deposedAt,
        Duration.toMillis(shutdownGrace) + 100,
        "interrupted once its grace is over"
      )

      // Someone leads again (either candidate may win the free seat), and only it reconciles.
      yield* settle(() => calls.some((call) => call.term === "2"), "the second term's passes")
      for (let tick = 0; tick < 5; tick++) {
        yield* TestClock.adjust("10 seconds")
        yield* Effect.yieldNow
      }
      const second = yield* election.holder
      assert.isDefined(second)
      assert.strictEqual(yield* election.terms, 2)
      assert.isTrue(calls.filter((call) => call.term === "2").length >= 5, "the new term resyncs on its timer")
      assert.isTrue(calls.every((call) => call.term === "1" || call.identity === second))
      assert.deepStrictEqual(violations, [])
      // Stopping both (the new term's slow pass gets its grace first) frees the seat.
      const stopping = yield* Effect.forkChild(Effect.andThen(Fiber.interrupt(a), Fiber.interrupt(b)))
      yield* advanceUntil(() => stopping.pollUnsafe() !== undefined, "both candidates stopped")
      assert.isUndefined(yield* election.holder, "stopping the leader frees the seat")
    }))

  it.effect("a term ended by the store (not by us) gives the seat up and campaigns again after it", () =>
    Effect.gen(function*() {
      const election = yield* makeMemoryElection
      const terms: Array<string> = []
      const fiber = yield* runAsLeader({ identity: "only", ttlSeconds: 3 }, (leader) =>
        Effect.sync(() => terms.push(leader.fence.createRevision))).pipe(
          Effect.provide(Leadership.layerFromElection(election)),
          Effect.forkChild
        )
      yield* settle(() =>
        terms.length === 1, "elected")
      for (let round = 2; round <= 4; round++) {
        yield* election.depose
        yield* settle(() => terms.length === round, `term ${round}`)
      }
      assert.deepStrictEqual(terms, ["1", "2", "3", "4"])
      assert.strictEqual(yield* election.holder, "only")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isUndefined(yield* election.holder)
    }))
})
