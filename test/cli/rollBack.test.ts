// `rollout undo`'s change (src/cli/commands/rollout/rollBack.ts) over a scripted store with kept
// revisions: a write etcd did not answer is repeated with the revision the first try chose, so a
// first write that landed is one rollback, not two, and one that did not is written once more.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { rollBack } from "../../src/cli/commands/rollout/rollBack.ts"
import { appIdOf } from "../../src/domain/Revision.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import type { ApplyOutcome, HistoryEntry, StoredInstance } from "../../src/store/SpecStore.ts"
import { SpecConflictError, SpecStore } from "../../src/store/SpecStore.ts"
import type { StoreError } from "../../src/store/StoreError.ts"
import { storeError } from "../../src/store/StoreError.ts"

const specOf = (image: string): ServiceInstanceSpec => ({ image, instances: 3 })

const stored = (generation: number, spec: ServiceInstanceSpec): StoredInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: {
    name: "web.main",
    uid: "u",
    generation,
    resourceVersion: String(100 + generation),
    creationTimestamp: "2026-01-01T00:00:00Z"
  },
  spec
})

/**
 * web.main at generation 3 (web:3), revisions 1 (web:1), 2 (web:2) and 3 kept; every write that
 * changes the app records a revision, as the etcd store does. `answer(n)` scripts write n.
 */
const storeWithHistory = (answer: (write: number) => { readonly lands: boolean; readonly error?: "unanswered" | "conflict" }) => {
  const entry = (generation: number, spec: ServiceInstanceSpec): HistoryEntry => ({
    generation,
    recordedAt: "2026-01-01T00:00:00Z",
    spec,
    appId: appIdOf("web.main", spec)
  })
  const history: Array<HistoryEntry> = [entry(1, specOf("web:1")), entry(2, specOf("web:2")), entry(3, specOf("web:3"))]
  let current = stored(3, specOf("web:3"))
  const calls = { writes: 0 }
  const layer = Layer.succeed(
    SpecStore,
    SpecStore.of({
      get: () => Effect.sync(() => Option.some(current)),
      list: () => Effect.die("unused"),
      remove: () => Effect.die("unused"),
      removeAll: () => Effect.die("unused"),
      applyMany: () => Effect.die("unused"),
      history: () => Effect.sync(() => [...history]),
      apply: (document, options) =>
        Effect.suspend((): Effect.Effect<ApplyOutcome, SpecConflictError | StoreError> => {
          const { lands, error } = answer(++calls.writes)
          if (options?.expectedResourceVersion !== current.metadata.resourceVersion) {
            return Effect.fail(new SpecConflictError({ name: "web.main", message: "modified meanwhile" }))
          }
          if (lands) {
            current = stored(current.metadata.generation + 1, (document as StoredInstance).spec)
            history.push(entry(current.metadata.generation, current.spec))
          }
          if (error === "unanswered") {
            return Effect.fail(storeError("Timeout", "http://127.0.0.1:2379", "update", new Error("deadline exceeded")))
          }
          if (error === "conflict") return Effect.fail(new SpecConflictError({ name: "web.main", message: "modified meanwhile" }))
          return Effect.succeed<ApplyOutcome>({ action: "configured", instance: current })
        })
    })
  )
  return { calls, layer, current: () => current }
}

describe("rollBack (rollout undo)", () => {
  it.effect("goes back to the newest revision whose app differs from the running one", () => {
    const store = storeWithHistory(() => ({ lands: true }))
    return Effect.gen(function*() {
      const { update, revision } = yield* rollBack("web.main", Option.none())
      assert.strictEqual(update._tag, "Updated")
      assert.strictEqual(revision, 2)
      assert.strictEqual(store.current().spec.image, "web:2")
    }).pipe(Effect.provide(store.layer))
  })

  it.live("a first write that landed unanswered is one rollback: reported as done, not taken one revision further", () => {
    const store = storeWithHistory((write) => (write === 1 ? { lands: true, error: "unanswered" } : { lands: true }))
    return Effect.gen(function*() {
      const { update, revision } = yield* rollBack("web.main", Option.none())
      assert.strictEqual(update._tag, "Updated")
      assert.strictEqual(revision, 2)
      assert.strictEqual(store.current().spec.image, "web:2")
      assert.strictEqual(store.current().metadata.generation, 4, "one new generation")
      assert.strictEqual(store.calls.writes, 1)
    }).pipe(Effect.provide(store.layer))
  })

  it.live("a first write that never reached etcd is written once more, to the same revision", () => {
    const store = storeWithHistory((write) => (write === 1 ? { lands: false, error: "unanswered" } : { lands: true }))
    return Effect.gen(function*() {
      const { update, revision } = yield* rollBack("web.main", Option.some(1))
      assert.strictEqual(update._tag, "Updated")
      assert.strictEqual(revision, 1)
      assert.strictEqual(store.current().spec.image, "web:1")
      assert.strictEqual(store.current().metadata.generation, 4)
      assert.strictEqual(store.calls.writes, 2)
    }).pipe(Effect.provide(store.layer))
  })

  it.live("a lost compare-and-swap race chooses again from the fresh read", () => {
    const store = storeWithHistory((write) => (write === 1 ? { lands: false, error: "conflict" } : { lands: true }))
    return Effect.gen(function*() {
      const { revision } = yield* rollBack("web.main", Option.none())
      assert.strictEqual(revision, 2)
      assert.strictEqual(store.calls.writes, 2)
    }).pipe(Effect.provide(store.layer))
  })

  it.effect("an instance that already runs the revision asked for writes nothing", () => {
    const store = storeWithHistory(() => ({ lands: true }))
    return Effect.gen(function*() {
      const { update, revision } = yield* rollBack("web.main", Option.some(3))
      assert.strictEqual(update._tag, "Unchanged")
      assert.strictEqual(revision, 3)
      assert.strictEqual(store.calls.writes, 0)
    }).pipe(Effect.provide(store.layer))
  })

  it.effect("a revision not kept is exit 1 (invalid), nothing written", () => {
    const store = storeWithHistory(() => ({ lands: true }))
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(rollBack("web.main", Option.some(9)))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(store.calls.writes, 0)
    }).pipe(Effect.provide(store.layer))
  })
})
