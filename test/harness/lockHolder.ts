// A child process that takes an instance lock and then holds it until it is killed: how the tests
// simulate a controller that crashes while holding a lock (SIGKILL: no finalizers, no revoke).
import { Effect } from "effect"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { acquireInstanceLock } from "../../src/store/Locks.ts"

const [endpoints, prefix, name, ttl] = process.argv.slice(2) as [string, string, string, string]
await Effect.runPromise(Effect.gen(function*() {
  const session = yield* makeSession({ ttlSeconds: Number(ttl) })
  yield* acquireInstanceLock(name, `pid-${process.pid}`, session)
  process.stdout.write("locked\n")
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.provide(EtcdClient.layer({ endpoints: endpoints.split(","), prefix }))))
