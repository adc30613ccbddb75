// A child process that takes an instance lock and then holds it until it is killed: how the tests
// simulate a controller that crashes while holding a lock (SIGKILL: no finalizers, no revoke).
// The names `app-lifecycle:shared` and `app-lifecycle:exclusive` take the app-lifecycle lock instead.
import { Effect, Schedule } from "effect"
import { EtcdClient } from "../../src/store/EtcdClient.ts"
import { makeSession } from "../../src/store/EtcdSession.ts"
import { acquireAppLifecycleExclusive, acquireAppLifecycleShared, acquireInstanceLock } from "../../src/store/Locks.ts"

const retryWhileHeld = {
  while: (error: { readonly _tag: string }) => error._tag === "LockHeldError",
  schedule: Schedule.spaced("200 millis")
}

const [endpoints, prefix, name, ttl] = process.argv.slice(2) as [string, string, string, string]
await Effect.runPromise(
  Effect.gen(function*() {
    const session = yield* makeSession({ ttlSeconds: Number(ttl) })
    const holder = `pid-${process.pid}`
    // The app-lifecycle lock may still be held by an earlier holder's lease: wait for it.
    if (name === "app-lifecycle:shared") yield* acquireAppLifecycleShared(holder, session).pipe(Effect.retry(retryWhileHeld))
    else if (name === "app-lifecycle:exclusive") yield* acquireAppLifecycleExclusive(holder, session).pipe(Effect.retry(retryWhileHeld))
    else yield* acquireInstanceLock(name, holder, session)
    process.stdout.write("locked\n")
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(EtcdClient.layer({ endpoints: endpoints.split(","), prefix })))
)
