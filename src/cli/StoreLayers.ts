// The store layers a command runs with, built from connection options alone, and the one-line,
// exit-2 form of their failures. Nothing here reads the command line (Stores.ts and ReadStores.ts
// do, from the global flags), so the quick `get` (QuickGet.ts) shares them without loading the
// CLI module.
import { Effect, Layer } from "effect"
import { EtcdClient } from "../store/EtcdClient.ts"
import type { EtcdOptions } from "../store/EtcdOptions.ts"
import { etcdSpecStoreLayer } from "../store/EtcdSpecStore.ts"
import { gatewayStoreLayer } from "../store/GatewayStores.ts"
import { gatewayServes } from "../store/GatewayTransport.ts"
import { GitSourceStore } from "../store/GitSourceStore.ts"
import { NotifierStore } from "../store/NotifierStore.ts"
import type { SpecStore } from "../store/SpecStore.ts"
import { CorruptSpecError } from "../store/SpecStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import { StoreError } from "../store/StoreError.ts"
import type { CliExit } from "./CliExit.ts"
import { ExitCode, exitWith } from "./CliExit.ts"

/** The etcd3-backed stores (writes, watches, and reads when the gateway cannot serve). */
export const storeLayer = (options: EtcdOptions) =>
  Layer.mergeAll(etcdSpecStoreLayer, StatusStore.layerNoDeps, GitSourceStore.layerNoDeps, NotifierStore.layerNoDeps).pipe(
    Layer.provideMerge(EtcdClient.layer(options))
  )

export type ReadStores = SpecStore | StatusStore | GitSourceStore | NotifierStore

/**
 * The stores of a read-only command, reading etcd through its JSON gateway: such a command starts
 * without loading etcd3 (gRPC, protobuf.js). A client certificate with a common name is refused
 * by etcd's gateway (GatewayTransport.gatewayServes): then the same stores come from etcd3.
 */
export const readStoreLayer = (options: EtcdOptions): Layer.Layer<ReadStores, StoreError> =>
  gatewayServes(options) ? gatewayStoreLayer(options) : storeLayer(options)

export const storeFailure = (error: StoreError | CorruptSpecError): CliExit =>
  error instanceof StoreError
    ? exitWith(ExitCode.error, `error: ${error.oneLine}`)
    : exitWith(ExitCode.error, `error: ${error.key}: stored spec is unreadable: ${error.message}`)

/** Runs `body` with `layer`, its store failures turned into one-line CliExit errors. */
export const providingStores = <ROut>(layer: Layer.Layer<ROut, StoreError>) => <A, E, R>(body: Effect.Effect<A, E, R>) =>
  body.pipe(
    Effect.mapError((error) => error instanceof StoreError || error instanceof CorruptSpecError ? storeFailure(error) : error),
    Effect.provide(layer)
  )
