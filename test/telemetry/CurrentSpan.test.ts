import { assert, describe, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"
import { currentSpan } from "../../src/telemetry/CurrentSpan.ts"

describe("currentSpan", () => {
  it.effect("is the span the fiber runs in, as Effect.currentSpan says, and undefined outside any span", () =>
    Effect.gen(function*() {
      assert.isUndefined(yield* currentSpan)
      const [mine, effects] = yield* Effect.all([currentSpan, Effect.currentSpan]).pipe(Effect.withSpan("outer"))
      assert.strictEqual(mine, effects)
      assert.strictEqual(mine?.name, "outer")
    }))

  it.effect("a parent span from elsewhere (an external one) is not a span of this process: undefined", () =>
    Effect.gen(function*() {
      const external = Tracer.externalSpan({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" })
      assert.isUndefined(yield* currentSpan.pipe(Effect.provideService(Tracer.ParentSpan, external)))
      assert.isTrue((yield* Effect.exit(Effect.currentSpan.pipe(Effect.provideService(Tracer.ParentSpan, external))))._tag === "Failure")
    }))
})
