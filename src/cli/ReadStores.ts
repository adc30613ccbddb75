// Gives a read-only command (get, describe, rollout status --watch=false, rollout history) the
// stores named by the global flags, reading etcd through its JSON gateway: such a command starts
// without loading etcd3 (gRPC, protobuf.js), most of its start-up otherwise. Failures are the same
// one-line errors with exit code 2 as Stores.ts gives; writes and watches use Stores.ts.
import { Effect } from "effect"
import { gatewayStoreLayer } from "../store/GatewayStores.ts"
import { CorruptSpecError } from "../store/SpecStore.ts"
import { StoreError } from "../store/StoreError.ts"
import { etcdOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"
import { storeFailure } from "./Stores.ts"

/** Runs `body` with SpecStore, StatusStore, GitSourceStore, NotifierStore and EtcdGateway, read-only. */
export const withReadStores = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const flags = yield* root
    return yield* body.pipe(
      Effect.mapError((error) => error instanceof StoreError || error instanceof CorruptSpecError ? storeFailure(error) : error),
      Effect.provide(gatewayStoreLayer(etcdOptions(flags)))
    )
  })
