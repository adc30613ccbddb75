// Gives a read-only command (get, describe, rollout status --watch=false, rollout history) the
// stores named by the global flags, reading etcd through its JSON gateway when it can
// (StoreLayers.readStoreLayer). Failures are the same one-line errors with exit code 2 as
// Stores.ts gives; writes and watches use Stores.ts.
import { Effect } from "effect"
import type { Layer } from "effect"
import type { EtcdOptions } from "../store/EtcdOptions.ts"
import type { StoreError } from "../store/StoreError.ts"
import { etcdOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"
import { providingStores, readStoreLayer } from "./StoreLayers.ts"

/** Runs a body with the services `layerOf` builds from the global flags, mapping store errors to CliExit. */
export const readingWith =
  <ROut>(layerOf: (options: EtcdOptions) => Layer.Layer<ROut, StoreError>) => <A, E, R>(body: Effect.Effect<A, E, R>) =>
    Effect.flatMap(root, (flags) => providingStores(layerOf(etcdOptions(flags)))(body))

/** Runs `body` with SpecStore, StatusStore, GitSourceStore and NotifierStore, for reading only. */
export const withReadStores = readingWith(readStoreLayer)
