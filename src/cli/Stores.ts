// Gives a command the etcd-backed stores named by the global flags, and turns store failures into
// one-line errors with exit code 2 (never a stack trace).
import { Effect, Layer } from "effect"
import type { EtcdOptions } from "../store/EtcdClient.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { etcdSpecStoreLayer } from "../store/EtcdSpecStore.ts"
import { CorruptSpecError } from "../store/SpecStore.ts"
import { GitSourceStore } from "../store/GitSourceStore.ts"
import { NotifierStore } from "../store/NotifierStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import { StoreError } from "../store/StoreError.ts"
import type { CliExit } from "./CliExit.ts"
import { ExitCode, exitWith } from "./CliExit.ts"
import { etcdOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"

export const storeLayer = (options: EtcdOptions) =>
  Layer.mergeAll(etcdSpecStoreLayer, StatusStore.layerNoDeps, GitSourceStore.layerNoDeps, NotifierStore.layerNoDeps).pipe(
    Layer.provideMerge(EtcdClient.layer(options))
  )

export const storeFailure = (error: StoreError | CorruptSpecError): CliExit =>
  error instanceof StoreError
    ? exitWith(ExitCode.error, `error: ${error.oneLine}`)
    : exitWith(ExitCode.error, `error: ${error.key}: stored spec is unreadable: ${error.message}`)

/** Runs `body` with SpecStore, StatusStore, GitSourceStore and EtcdClient, mapping store errors to CliExit. */
export const withStores = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const flags = yield* root
    return yield* body.pipe(
      Effect.mapError((error) => error instanceof StoreError || error instanceof CorruptSpecError ? storeFailure(error) : error),
      Effect.provide(storeLayer(etcdOptions(flags)))
    )
  })
