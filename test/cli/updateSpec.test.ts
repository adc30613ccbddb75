import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { CliExit } from "../../src/cli/CliExit.ts"
import { forceBounceAt } from "../../src/cli/commands/rollout/forceBounce.ts"
import { updateSpec } from "../../src/cli/commands/rollout/updateSpec.ts"
import type { ApplyOutcome, StoredInstance } from "../../src/store/SpecStore.ts"
import { SpecConflictError, SpecStore } from "../../src/store/SpecStore.ts"
import type { StoreError } from "../../src/store/StoreError.ts"
import { storeError } from "../../src/store/StoreError.ts"

// The read-modify-write of the rollout verbs and scale: a lost compare-and-swap race is re-read
// and retried; a write etcd did not answer is repeated only by the verbs that set a value (pause,
// resume, scale, restart's one stamp, undo's chosen revision), which then report the first try's
// write as theirs.

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

/** A store of one spec whose `apply` is `write(number of the write, document)`. */
const scriptedStore = (
  write: (count: number, document: StoredInstance, current: StoredInstance) => {
    readonly next?: StoredInstance
    readonly error?: SpecConflictError | StoreError
  }
) => {
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
          const { next, error } = write(++calls.writes, document as StoredInstance, current)
          if (next !== undefined) current = next
          return error === undefined
            ? Effect.succeed<ApplyOutcome>({ action: "configured", instance: current })
            : Effect.fail(error)
        })
    })
  )
  return { calls, layer, current: () => current }
}

const written = (document: StoredInstance, current: StoredInstance): StoredInstance => ({
  ...stored(Number(current.metadata.resourceVersion) + 1, document.spec.paused === true),
  spec: document.spec
})

/** The first `conflicts` writes lose the compare-and-swap race. */
const racingStore = (conflicts: number) =>
  scriptedStore((count, document, current) =>
    count <= conflicts
      ? { error: new SpecConflictError({ name: "web.main", message: "modified meanwhile" }) }
      : { next: written(document, current) }
  )

/** The first write gets no answer; `landed` says whether etcd applied it all the same. */
const unansweredStore = (landed: boolean) =>
  scriptedStore((count, document, current) => ({
    ...(count > 1 || landed ? { next: written(document, current) } : {}),
    ...(count === 1 ? { error: storeError("Timeout", "http://127.0.0.1:2379", "update", new Error("deadline exceeded")) } : {})
  }))

const pause = (instance: StoredInstance) =>
  Effect.succeed(instance.spec.paused === true ? Option.none() : Option.some({ ...instance.spec, paused: true }))

describe("read-modify-write of a spec", () => {
  it.live("re-reads and retries a lost race", () => {
    const store = racingStore(2)
    return Effect.gen(function*() {
      const update = yield* updateSpec("web.main", pause)
      assert.strictEqual(update._tag, "Updated")
      assert.deepStrictEqual(store.calls, { reads: 3, writes: 3 })
    }).pipe(Effect.provide(store.layer))
  })

  it.live("gives up with exit 3 when the race is lost five times", () => {
    const store = racingStore(99)
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(updateSpec("web.main", (current) => Effect.succeed(Option.some(current.spec))))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      assert.isTrue(error?._tag === "Fail" && error.error instanceof CliExit && error.error.code === 3)
      assert.strictEqual(store.calls.writes, 5)
    }).pipe(Effect.provide(store.layer))
  })
})

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

  it.live("restart, one stamp for every try: a write that landed is one bounce, one that did not is written once more", () =>
    Effect.gen(function*() {
      const stamp = "2026-12-05T16:00:00.000Z"
      for (const landed of [true, false]) {
        const store = unansweredStore(landed)
        const update = yield* updateSpec("web.main", forceBounceAt(stamp), { repeatUnanswered: true }).pipe(Effect.provide(store.layer))
        assert.strictEqual(update._tag, "Updated")
        assert.deepStrictEqual(store.calls, { reads: 2, writes: landed ? 1 : 2 })
        assert.strictEqual(store.current().spec.forceBounce, stamp)
        // One bounce: the generation moved once past the spec read first.
        assert.strictEqual(store.current().metadata.resourceVersion, "11")
      }
    }))

  it.live("is not repeated unless the command asks: the error reaches the user", () => {
    const store = unansweredStore(true)
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(updateSpec("web.main", pause))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(store.calls, { reads: 1, writes: 1 })
    }).pipe(Effect.provide(store.layer))
  })
})
