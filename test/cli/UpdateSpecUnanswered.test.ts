import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { updateSpec } from "../../src/cli/commands/rollout/updateSpec.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { storeError } from "../../src/store/StoreError.ts"

// pause, resume and scale set a value: when etcd does not answer their write, they read again and
// set it again, and report the first try's write as theirs. Restart and undo are not repeated.

const stored = (resourceVersion: number, paused: boolean): StoredInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: {
    name: "web.main",
    uid: "u",
    generation: resourceVersion,
    resourceVersion: String(resourceVersion),
    creationTimestamp: "2026-01-01T00:00:00Z"
  },
  spec: { image: "web:2", instances: 3, paused }
})

/** A store whose first write gets no answer; `landed` says whether etcd applied it all the same. */
const unansweredStore = (landed: boolean) => {
  let current = stored(10, false)
  const calls = { reads: 0, writes: 0 }
  const layer = Layer.succeed(
    SpecStore,
    SpecStore.of({
      get: () => Effect.sync(() => (calls.reads++, Option.some(current))),
      list: () => Effect.die("unused"),
      remove: () => Effect.die("unused"),
      removeAll: () => Effect.die("unused"),
      applyMany: () => Effect.die("unused"),
      history: () => Effect.succeed([]),
      apply: (document) =>
        Effect.suspend(() => {
          const first = ++calls.writes === 1
          if (!first || landed) current = stored(Number(current.metadata.resourceVersion) + 1, document.spec.paused === true)
          return first
            ? Effect.fail(storeError("Timeout", "http://127.0.0.1:2379", "update", new Error("deadline exceeded")))
            : Effect.succeed({ action: "configured" as const, instance: current })
        })
    })
  )
  return { calls, layer, current: () => current }
}

const pause = (instance: StoredInstance) =>
  Effect.succeed(instance.spec.paused === true ? Option.none() : Option.some({ ...instance.spec, paused: true }))

describe("a change etcd did not answer", () => {
  it.live("that landed: the repeat finds it set, writes nothing more, and reports it as done", () => {
    const store = unansweredStore(true)
    return Effect.gen(function*() {
      const update = yield* updateSpec("web.main", pause, { repeatUnanswered: true })
      assert.strictEqual(update._tag, "Updated")
      assert.isTrue(update._tag === "Updated" && update.before.metadata.resourceVersion === "10")
      assert.deepStrictEqual(store.calls, { reads: 2, writes: 1 })
      assert.isTrue(store.current().spec.paused)
    }).pipe(Effect.provide(store.layer))
  })

  it.live("that did not land: the repeat writes it", () => {
    const store = unansweredStore(false)
    return Effect.gen(function*() {
      const update = yield* updateSpec("web.main", pause, { repeatUnanswered: true })
      assert.strictEqual(update._tag, "Updated")
      assert.deepStrictEqual(store.calls, { reads: 2, writes: 2 })
      assert.isTrue(store.current().spec.paused)
    }).pipe(Effect.provide(store.layer))
  })

  it.live("is not repeated unless the command asks (restart, undo): the error reaches the user", () => {
    const store = unansweredStore(true)
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(updateSpec("web.main", pause))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(store.calls, { reads: 1, writes: 1 })
    }).pipe(Effect.provide(store.layer))
  })
})
