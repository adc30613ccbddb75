// Gives a read-only command (get, describe, rollout status --watch=false, rollout history) the
// stores named by the global flags, reading etcd through its JSON gateway: such a command starts
// without loading etcd3 (gRPC, protobuf.js), most of its start-up otherwise. Failures are the same
// one-line errors with exit code 2 as Stores.ts gives; writes and watches use Stores.ts. A client
// certificate with a common name is refused by etcd's gateway (GatewayTransport.gatewayServes):
// then the same stores come from etcd3.
import { Effect } from "effect"
import type { Layer } from "effect"
import type { EtcdOptions } from "../store/EtcdOptions.ts"
import { gatewayStoreLayer } from "../store/GatewayStores.ts"
import { gatewayServes } from "../store/GatewayTransport.ts"
import type { GitSourceStore } from "../store/GitSourceStore.ts"
import type { NotifierStore } from "../store/NotifierStore.ts"
import type { SpecStore } from "../store/SpecStore.ts"
import { CorruptSpecError } from "../store/SpecStore.ts"
import type { StatusStore } from "../store/StatusStore.ts"
import { StoreError } from "../store/StoreError.ts"
import { etcdOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"
import { storeFailure, storeLayer } from "./Stores.ts"

export type ReadStores = SpecStore | StatusStore | GitSourceStore | NotifierStore

export const readStoreLayer = (options: EtcdOptions): Layer.Layer<ReadStores, StoreError> =>
  gatewayServes(options) ? gatewayStoreLayer(options) : storeLayer(options)

/** Runs a body with the services `layerOf` builds from the global flags, mapping store errors to CliExit. */
export const readingWith =
  <ROut>(layerOf: (options: EtcdOptions) => Layer.Layer<ROut, StoreError>) => <A, E, R>(body: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const flags = yield* root
      return yield* body.pipe(
        Effect.mapError((error) => error instanceof StoreError || error instanceof CorruptSpecError ? storeFailure(error) : error),
        Effect.provide(layerOf(etcdOptions(flags)))
      )
    })

/** Runs `body` with SpecStore, StatusStore, GitSourceStore and NotifierStore, for reading only. */
export const withReadStores = readingWith(readStoreLayer)
