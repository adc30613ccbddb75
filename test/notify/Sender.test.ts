import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import type { FakeAnswer } from "../marathon/FakeHttp.ts"
import { fakeHttp } from "../marathon/FakeHttp.ts"
import { send } from "../../src/notify/Sender.ts"

/** A receiver answering from a script, one answer per attempt (the last repeats); attempt times are kept. */
const scripted = (answers: ReadonlyArray<FakeAnswer>) =>
  Effect.gen(function*() {
    const times = yield* Ref.make<ReadonlyArray<number>>([])
    let calls = 0
    const { client, seen } = yield* fakeHttp(() => answers[Math.min(calls++, answers.length - 1)]!)
    const timed = {
      ...client,
      execute: (request: Parameters<typeof client.execute>[0]) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.andThen(Ref.update(times, (all) => [...all, now]), client.execute(request)))
    } as typeof client
    return { client: timed, seen, times }
  })

/** Runs `send` in a fiber and moves the TestClock a second at a time until it ends. */
const run = <A>(effect: Effect.Effect<A>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    for (let second = 0; second < 300 && fiber.pollUnsafe() === undefined; second++) yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

describe("sending one notification", () => {
  it.effect("delivered at the first attempt: one POST of the exact body and headers", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* scripted([{ status: 200, text: "ok" }])
      const result = yield* run(send(client, "http://receiver/hook", "{\"a\":1}", { "x-signature": "sha256=ab" }))
      assert.deepStrictEqual(result, { _tag: "Delivered", attempts: 1, status: 200 })
      const [request] = yield* Ref.get(seen)
      assert.strictEqual(request?.method, "POST")
      assert.strictEqual(request?.body, "{\"a\":1}")
      assert.strictEqual(request?.headers["x-signature"], "sha256=ab")
      assert.strictEqual(request?.headers["content-type"], "application/json")
    }))

  it.effect("a receiver that is down: 4 retries, 2 s doubling (2, 4, 8, 16), then Failed", () =>
    Effect.gen(function*() {
      const { client, times } = yield* scripted(["transport-error"])
      const result = yield* run(send(client, "http://receiver/hook", "{}", {}))
      assert.deepStrictEqual(result._tag === "Failed" ? result.attempts : -1, 5)
      assert.deepStrictEqual(yield* Ref.get(times), [0, 2_000, 6_000, 14_000, 30_000])
    }))

  it.effect("the backoff never exceeds 30 s", () =>
    Effect.gen(function*() {
      const { client, times } = yield* scripted(["transport-error"])
      yield* run(
        send(client, "http://receiver/hook", "{}", {}, {
          retries: 6,
          firstBackoff: "2 seconds",
          maxBackoff: "30 seconds",
          callTimeout: "15 seconds"
        })
      )
      const at = yield* Ref.get(times)
      const gaps = at.slice(1).map((time, index) => time - at[index]!)
      assert.deepStrictEqual(gaps, [2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    }))

  it.effect("down, then slow beyond the 15 s timeout, then back: delivered on the third attempt, 2 s + 15 s + 4 s later", () =>
    Effect.gen(function*() {
      const { client, times } = yield* scripted(["transport-error", "hang", { status: 204 }])
      const result = yield* run(send(client, "http://receiver/hook", "{}", {}))
      assert.deepStrictEqual(result, { _tag: "Delivered", attempts: 3, status: 204 })
      // Attempt 2 starts at 2 s and is cut off at 17 s; attempt 3 follows the 4 s backoff.
      assert.deepStrictEqual(yield* Ref.get(times), [0, 2_000, 21_000])
    }))

  it.effect("5xx, 408 and 429 are retried; another 4xx is final", () =>
    Effect.gen(function*() {
      const retried = yield* scripted([{ status: 503 }, { status: 429 }, { status: 408 }, { status: 200 }])
      assert.strictEqual((yield* run(send(retried.client, "http://r/", "{}", {}))).attempts, 4)
      const final = yield* scripted([{ status: 404 }])
      const result = yield* run(send(final.client, "http://r/", "{}", {}))
      assert.deepStrictEqual(result, { _tag: "Failed", attempts: 1, message: "HTTP 404" })
    }))
})
