// CleanupLedger on etcd: one key, `<p>/cleanup/ledger`, swapped on its mod revision. An unreadable
// ledger is an error, never an empty one: an empty ledger would reset the deletion budget.
import { Effect, Layer, Result, Schema } from "effect"
import { CleanupLedger, CleanupLedgerError } from "../cleanup/CleanupLedger.ts"
import { emptyLedger, Ledger } from "../cleanup/DeletionBudget.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { makeKeys } from "./Keys.ts"
import type { StoreError } from "./StoreError.ts"

const LedgerJson = Schema.fromJsonString(Ledger)
const decode = Schema.decodeUnknownResult(LedgerJson)
const encode = Schema.encodeSync(LedgerJson)

const wrap = <A>(effect: Effect.Effect<A, StoreError>) =>
  effect.pipe(
    Effect.mapError((error) => new CleanupLedgerError({ message: error.oneLine, ...(error.retryable ? { unanswered: true } : {}) }))
  )

export const etcdCleanupLedgerLayer: Layer.Layer<CleanupLedger, never, EtcdClient> = Layer.effect(
  CleanupLedger,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const key = makeKeys(etcd.prefix).cleanupLedger
    return CleanupLedger.of({
      read: Effect.gen(function*() {
        const response = yield* wrap(etcd.callIdempotent("read cleanup ledger", (client) => client.get(key).exec()))
        const kv = response.kvs[0]
        if (kv === undefined) return { ledger: emptyLedger, version: "0" }
        const decoded = decode(kv.value.toString())
        if (Result.isFailure(decoded)) {
          return yield* new CleanupLedgerError({ message: `${key} is unreadable: ${decoded.failure.message}` })
        }
        return { ledger: decoded.success, version: kv.mod_revision }
      }),
      swap: (ledger, version) =>
        wrap(
          etcd.call("write cleanup ledger", (client) =>
            client.if(key, "Mod", "==", version).then(client.put(key).value(encode(ledger))).commit())
        ).pipe(
          Effect.map((result) =>
            result.succeeded
          )
        )
    })
  })
)
