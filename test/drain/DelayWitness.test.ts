import { assert, describe, it } from "@effect/vitest"
import { Clock, DateTime, Effect, Layer } from "effect"
import { HttpClient } from "effect/http"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { forgetAfterMs, makeDelayWitness } from "../../src/drain/DelayWitness.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import type { TaskRef } from "../../src/plan/Action.ts"
import type { DrainConfig } from "../../src/plan/DrainState.ts"

// The host's clocks moved by hand: the wall clock can be stepped either way, the monotonic clock
// only goes forward.
const handClock = (wallMs: number) => {
  const state = { wallMs, monotonicMs: 1_000 }
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => state.wallMs,
    currentTimeMillis: Effect.sync(() => state.wallMs),
    currentTimeNanosUnsafe: () => BigInt(state.wallMs) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(state.wallMs) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(state.monotonicMs) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(state.monotonicMs) * 1_000_000n),
    sleep: () => Effect.void
  }
  return {
    clock,
    /** Real time passing: both clocks move. */
    pass: (ms: number) => {
      state.wallMs += ms
      state.monotonicMs += ms
    },
    /** The host steps its wall clock (NTP, a resumed VM): the monotonic clock does not move. */
    step: (ms: number) => void (state.wallMs += ms)
  }
}

const start = 1_700_000_000_000
const at = (ms: number) => DateTime.makeUnsafe(ms)

describe("DelayWitness (a drain delay is also counted on the monotonic clock)", () => {
  it.effect("a wall clock stepped forward does not end a delay early; the rest is owed on the monotonic clock", () => {
    const host = handClock(start)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      // Drained at `start` with a 60 s delay; first asked 10 s in: 50 s are left.
      host.pass(10_000)
      const first = yield* witness.confirm("task-1", { safe: false, safeAt: at(start + 60_000) })
      assert.isFalse(first.safe)
      // The wall clock jumps 10 minutes: a method reading it says the delay is over.
      host.step(600_000)
      const stepped = yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })
      assert.isFalse(stepped.safe)
      // It is asked again when the monotonic clock will have counted the 50 s.
      assert.strictEqual(DateTime.toEpochMillis(stepped.safeAt!), start + 610_000 + 50_000)
      host.pass(49_999)
      assert.isFalse((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
      host.pass(1)
      assert.isTrue((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })

  it.effect("with both clocks agreeing, the method's answer stands as it is", () => {
    const host = handClock(start)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      assert.isFalse((yield* witness.confirm("task-1", { safe: false, safeAt: at(start + 30_000) })).safe)
      host.pass(30_000)
      const answer = { safe: true, safeAt: at(start + 30_000) }
      assert.strictEqual(yield* witness.confirm("task-1", answer), answer)
      // A backend that decides alone (http) gives no safeAt: nothing to count.
      const alone = { safe: true }
      assert.strictEqual(yield* witness.confirm("task-2", alone), alone)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })

  it.effect("a task drained here is counted from its drain: a step before the first question changes nothing", () => {
    const host = handClock(start)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      yield* witness.drained("task-1")
      host.pass(5_000)
      // The wall clock jumps before anyone asks; a method reading it says the 60 s are over.
      host.step(600_000)
      const first = yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })
      assert.isFalse(first.safe)
      assert.strictEqual(DateTime.toEpochMillis(first.safeAt!), start + 605_000 + 55_000)
      host.pass(54_999)
      assert.isFalse((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
      host.pass(1)
      assert.isTrue((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })

  it.effect("a delay already over when first asked about (a new leader, an old drain) is owed nothing", () => {
    const host = handClock(start + 3_600_000)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      assert.isTrue((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })

  it.effect("a new drain of the same task is a new delay, counted from its own first question", () => {
    const host = handClock(start)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      assert.isFalse((yield* witness.confirm("task-1", { safe: false, safeAt: at(start + 60_000) })).safe)
      host.pass(60_000)
      assert.isTrue((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 60_000) })).safe)
      // Drained again (reverted, then drained anew) at start + 70 s; the wall clock then jumps.
      host.pass(10_000)
      assert.isFalse((yield* witness.confirm("task-1", { safe: false, safeAt: at(start + 130_000) })).safe)
      host.step(3_600_000)
      assert.isFalse((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 130_000) })).safe)
      host.pass(60_000)
      assert.isTrue((yield* witness.confirm("task-1", { safe: true, safeAt: at(start + 130_000) })).safe)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })

  it.effect("a delay long over is forgotten: memory stays bounded by the drains of the last hour", () => {
    const host = handClock(start)
    const witness = makeDelayWitness()
    return Effect.gen(function*() {
      assert.isFalse((yield* witness.confirm("old", { safe: false, safeAt: at(start + 60_000) })).safe)
      host.pass(60_000 + forgetAfterMs + 1)
      // Asked about another task: the old entry goes. Asked again later about the old task with
      // its wall clock stepped back and forth, it is a delay first seen now, and over: safe.
      yield* witness.confirm("new", { safe: false, safeAt: at(start + 2 * forgetAfterMs) })
      assert.isTrue((yield* witness.confirm("old", { safe: true, safeAt: at(start + 60_000) })).safe)
    }).pipe(Effect.provideService(Clock.Clock, host.clock))
  })
})

describe("DrainMethods (design.md §11: drained first)", () => {
  const name = "web.main" as InstanceName
  const task: TaskRef = {
    id: "web.main.task-1",
    appId: "/web.main.gitaaaa.configbbbb",
    host: "agent-7",
    ports: [31005],
    state: "TASK_RUNNING"
  }
  const drain = { method: "test", params: { delay: 60 }, timeoutSeconds: 10 } as unknown as DrainConfig
  const noHttp = Layer.succeed(HttpClient.HttpClient)(HttpClient.make(() => Effect.die("no HTTP in this test")))

  it.effect("a test drain's delay is not ended by the host's wall clock jumping forward", () => {
    const host = handClock(start)
    return Effect.gen(function*() {
      const methods = yield* DrainMethods
      const method = methods.forInstance(name, drain)
      const record = { requestedAt: at(start), method: "test" as const, appId: task.appId }
      host.pass(5_000)
      assert.isFalse((yield* method.isSafeToKill(task, record)).safe)
      host.step(600_000)
      // The test drain alone reads the wall clock and would answer safe here.
      const verdict = yield* method.isSafeToKill(task, record)
      assert.isFalse(verdict.safe, "killed on a wall clock that jumped, 55 s before the drain delay ended")
      host.pass(55_000)
      assert.isTrue((yield* method.isSafeToKill(task, record)).safe)
    }).pipe(
      Effect.provide(DrainMethods.layerNoDeps().pipe(Layer.provide(noHttp))),
      Effect.provideService(Clock.Clock, host.clock)
    )
  })

  it.effect("a task drained through it is counted from the drain, even when the clock jumps before the first question", () => {
    const host = handClock(start)
    return Effect.gen(function*() {
      const method = (yield* DrainMethods).forInstance(name, drain)
      yield* method.drain(task)
      const record = { requestedAt: at(start), method: "test" as const, appId: task.appId }
      host.step(600_000)
      assert.isFalse((yield* method.isSafeToKill(task, record)).safe, "killed on a wall clock that jumped before the first question")
      host.pass(60_000)
      assert.isTrue((yield* method.isSafeToKill(task, record)).safe)
    }).pipe(
      Effect.provide(DrainMethods.layerNoDeps().pipe(Layer.provide(noHttp))),
      Effect.provideService(Clock.Clock, host.clock)
    )
  })
})
