// Where rollouts go: a service with an etcd layer (src/store/EtcdRolloutStore.ts) and this memory
// layer for service-level tests. Recording takes a finished pass and never waits on storage: the
// etcd layer queues it and folds it in behind the pass (like the event writer), so a pass is never
// held by an etcd election.
import { Context, Effect, Layer } from "effect"
import type { StoreError } from "../store/StoreError.ts"
import { foldPass } from "./FoldPass.ts"
import type { PassTrace, Rollout } from "./Rollout.ts"

export class RolloutStore extends Context.Service<RolloutStore, {
  /** Folds a finished pass into its instance's rollouts; queued, never fails. */
  readonly record: (pass: PassTrace) => Effect.Effect<void>
  /** The instance's rollouts, newest generation first (at most 20). */
  readonly list: (instance: string) => Effect.Effect<ReadonlyArray<Rollout>, StoreError>
}>()("mdeploy/rollouts/RolloutStore") {
  static readonly layerMemory: Layer.Layer<RolloutStore> = Layer.sync(RolloutStore, () => {
    const histories = new Map<string, ReadonlyArray<Rollout>>()
    return RolloutStore.of({
      record: (pass) =>
        Effect.sync(() => {
          histories.set(pass.instance, foldPass(histories.get(pass.instance) ?? [], pass).history)
        }),
      list: (instance) => Effect.sync(() => histories.get(instance) ?? [])
    })
  })
}
