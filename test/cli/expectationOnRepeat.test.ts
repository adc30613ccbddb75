import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { actionAfterRetry } from "../../src/cli/commands/apply/ActionAfterRetry.ts"
import { expectationOnRepeat } from "../../src/cli/commands/apply/expectationOnRepeat.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"

// `apply` of a document that carries metadata.resourceVersion, repeated after a write etcd did not
// answer (the memory store: the same decisions as etcd, values through the stored JSON). The
// repeat must neither refuse the first try's own write as a conflict nor overwrite anyone else's.

const name = "web.main" as InstanceName
const manifest = (image: string, resourceVersion?: string): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name, labels: { team: "web" }, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
  spec: { image, instances: 2 }
})
const applied = { lastApplied: true } as const

/** The repeat of `document`'s apply, first tried on `firstRead`: what it expects, and what it reports. */
const repeat = (document: ServiceInstance, firstRead: Option.Option<StoredInstance>) =>
  Effect.gen(function*() {
    const store = yield* SpecStore
    const current = yield* store.get(name)
    const expected = expectationOnRepeat(document, firstRead, current)
    const outcome = yield* Effect.result(store.apply(document, { ...applied, expectedResourceVersion: expected, current }))
    return { expected, outcome }
  })

describe("apply of a document with a resourceVersion, repeated after etcd did not answer", () => {
  it.effect("the first try landed: the repeat finds the spec as asked and reports it configured, not a conflict", () =>
    Effect.gen(function*() {
      const store = yield* SpecStore
      yield* store.apply(manifest("web:1"), applied)
      const firstRead = yield* store.get(name)
      const document = manifest("web:2", Option.getOrThrow(firstRead).metadata.resourceVersion)
      // The first try's write lands; its answer is lost.
      yield* store.apply(document, { ...applied, expectedResourceVersion: document.metadata.resourceVersion })
      const { expected, outcome } = yield* repeat(document, firstRead)
      assert.isUndefined(expected)
      assert.isTrue(outcome._tag === "Success" && outcome.success.action === "unchanged")
      if (outcome._tag === "Success") assert.strictEqual(actionAfterRetry(firstRead, outcome.success).action, "configured")
      assert.strictEqual(Option.getOrThrow(yield* store.get(name)).metadata.generation, 2)
    }).pipe(Effect.provide(SpecStore.layerMemory)))

  it.effect("a create expecting no spec (resourceVersion 0) that landed is reported created", () =>
    Effect.gen(function*() {
      const store = yield* SpecStore
      const document = manifest("web:1", "0")
      yield* store.apply(document, { ...applied, expectedResourceVersion: "0" })
      const { expected, outcome } = yield* repeat(document, Option.none())
      assert.isUndefined(expected)
      assert.isTrue(outcome._tag === "Success")
      if (outcome._tag === "Success") assert.strictEqual(actionAfterRetry(Option.none(), outcome.success).action, "created")
    }).pipe(Effect.provide(SpecStore.layerMemory)))

  it.effect("someone else changed the spec meanwhile: the expectation stands and the repeat is a conflict", () =>
    Effect.gen(function*() {
      const store = yield* SpecStore
      yield* store.apply(manifest("web:1"), applied)
      const firstRead = yield* store.get(name)
      const document = manifest("web:2", Option.getOrThrow(firstRead).metadata.resourceVersion)
      // The first try never reached etcd; another writer's change did.
      yield* store.apply(manifest("web:3"), applied)
      const { expected, outcome } = yield* repeat(document, firstRead)
      assert.strictEqual(expected, document.metadata.resourceVersion)
      assert.isTrue(outcome._tag === "Failure" && outcome.failure._tag === "SpecConflictError")
      assert.strictEqual(Option.getOrThrow(yield* store.get(name)).spec.image, "web:3")
    }).pipe(Effect.provide(SpecStore.layerMemory)))

  it.effect("a document stale from the start stays a conflict, even when the spec already matches it", () =>
    Effect.gen(function*() {
      const store = yield* SpecStore
      yield* store.apply(manifest("web:1"), applied)
      const stale = Option.getOrThrow(yield* store.get(name)).metadata.resourceVersion
      yield* store.apply(manifest("web:2"), applied)
      const firstRead = yield* store.get(name)
      const { expected, outcome } = yield* repeat(manifest("web:2", stale), firstRead)
      assert.strictEqual(expected, stale)
      assert.isTrue(outcome._tag === "Failure" && outcome.failure._tag === "SpecConflictError")
    }).pipe(Effect.provide(SpecStore.layerMemory)))

  it.effect("the first try did not land and nothing moved: the repeat writes, over the document's revision", () =>
    Effect.gen(function*() {
      const store = yield* SpecStore
      yield* store.apply(manifest("web:1"), applied)
      const firstRead = yield* store.get(name)
      const document = manifest("web:2", Option.getOrThrow(firstRead).metadata.resourceVersion)
      const { expected, outcome } = yield* repeat(document, firstRead)
      assert.strictEqual(expected, document.metadata.resourceVersion)
      assert.isTrue(outcome._tag === "Success" && outcome.success.action === "configured")
    }).pipe(Effect.provide(SpecStore.layerMemory)))
})
