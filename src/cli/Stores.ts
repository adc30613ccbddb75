// Gives a command the etcd-backed stores named by the global flags, and turns store failures into
// one-line errors with exit code 2 (never a stack trace).
import { Effect } from "effect"
import { etcdOptions } from "./GlobalFlags.ts"
import { root } from "./Root.ts"
import { providingStores, storeLayer } from "./StoreLayers.ts"

/** Runs `body` with SpecStore, StatusStore, GitSourceStore and EtcdClient, mapping store errors to CliExit. */
export const withStores = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.flatMap(root, (flags) => providingStores(storeLayer(etcdOptions(flags)))(body))
