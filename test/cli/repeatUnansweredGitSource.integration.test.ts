// `apply` of a GitSource that carries metadata.resourceVersion, when etcd does not answer its write
// (applyRepeatingUnanswered over the real etcd store): a write that landed is reported configured,
// not refused as someone else's change; a change by someone else meanwhile stays a conflict.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Result } from "effect"
import { afterAll, beforeAll } from "vitest"
import { applyRepeatingUnanswered } from "../../src/cli/commands/apply/repeatUnanswered.ts"
import type { GitSource } from "../../src/domain/GitSource.ts"
import { GitSourceStore } from "../../src/store/GitSourceStore.ts"
import { StoreError } from "../../src/store/StoreError.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const source = (branch: string, resourceVersion?: string): GitSource => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "GitSource",
  metadata: { name: "prod-specs", ...(resourceVersion === undefined ? {} : { resourceVersion }) },
  spec: { url: "https://git.example/ops/specs.git", ref: { branch } }
} as GitSource)

const lost = new StoreError({ reason: "Timeout", endpoint: "test", operation: "apply gitsource", message: "etcd did not answer" })

/**
 * Applies `document` as `apply` does, its first write landing (or not) with its answer lost, and
 * `meanwhile` run before the repeats (another writer).
 */
const applyLosingFirstAnswer = (document: GitSource, firstLands: boolean, meanwhile: Effect.Effect<unknown, unknown, GitSourceStore>) =>
  Effect.gen(function*() {
    const store = yield* GitSourceStore
    let tries = 0
    const repeated = yield* Effect.forkChild(applyRepeatingUnanswered({
      read: store.get(document.metadata.name),
      expected: document.metadata.resourceVersion,
      apply: (expectedResourceVersion, probe) => {
        const write = store.apply(document, { expectedResourceVersion, dryRun: probe })
        if (probe || tries++ > 0) return write
        return (firstLands ? write : Effect.void).pipe(
          Effect.andThen(Effect.orDie(Effect.provideService(meanwhile, GitSourceStore, store))),
          Effect.andThen(Effect.fail(lost))
        )
      },
      stored: (outcome) => outcome.source
    }))
    return yield* Fiber.join(repeated)
  })

const inPrefix = (label: string) => Layer.fresh(GitSourceStore.layerNoDeps.pipe(Layer.provide(etcdLayer(etcd, uniquePrefix(label)))))

describe("apply of a GitSource with a resourceVersion, after etcd did not answer", () => {
  it.live("its own landed write is reported configured, and the source is as the document says", () =>
    Effect.gen(function*() {
      const store = yield* GitSourceStore
      const created = yield* store.apply(source("main"))
      const result = yield* applyLosingFirstAnswer(source("release", created.source.metadata.resourceVersion), true, Effect.void)
      assert.isTrue(Result.isSuccess(result), Result.isFailure(result) ? String(result.failure) : "")
      if (Result.isSuccess(result)) assert.strictEqual(result.success.action, "configured")
      const now = yield* store.get("prod-specs")
      assert.strictEqual(now._tag === "Some" ? JSON.stringify(now.value.spec.ref) : "", JSON.stringify({ branch: "release" }))
    }).pipe(Effect.provide(inPrefix("gs-repeat-landed"))))

  it.live("someone else's change meanwhile keeps the document's expectation: a conflict, their change kept", () =>
    Effect.gen(function*() {
      const store = yield* GitSourceStore
      const created = yield* store.apply(source("main"))
      const result = yield* applyLosingFirstAnswer(
        source("release", created.source.metadata.resourceVersion),
        false,
        store.apply(source("hotfix"))
      )
      assert.isTrue(Result.isFailure(result))
      const now = yield* store.get("prod-specs")
      assert.strictEqual(now._tag === "Some" ? JSON.stringify(now.value.spec.ref) : "", JSON.stringify({ branch: "hotfix" }))
    }).pipe(Effect.provide(inPrefix("gs-repeat-other"))))
})
