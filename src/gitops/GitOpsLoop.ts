// The leader's GitOps loop (design.md §12): one fiber per GitSource, fed by two informers — the
// sources themselves (<p>/gitsources/) and sync requests (<p>/gitsource-requests/, written by the
// CLI or a webhook on any replica). A fiber syncs, writes status, clears the request it answered
// (only that one: a newer request survives and triggers another sync), then waits for the
// jittered interval, the backoff after a failure, or the next request, whichever comes first.
// It runs inside the leadership scope: losing leadership interrupts every fiber, and a git call in
// flight is killed with it.
import { DateTime, Effect, Fiber, Option, Queue, Random, Stream } from "effect"
import type { Scope } from "effect"
import { intervalMillis } from "../domain/GitSource.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import type { StoredGitSource } from "../store/GitSourceStore.ts"
import { GitSourceStore, parseStoredSource } from "../store/GitSourceStore.ts"
import { informer } from "../store/Informer.ts"
import { makeKeys } from "../store/Keys.ts"
import type { SpecStore } from "../store/SpecStore.ts"
import { nextDelayMs } from "./Backoff.ts"
import type { SyncContext } from "./GitSync.ts"
import type { Fence } from "../store/StatusStore.ts"
import { syncSource } from "./GitSync.ts"

export const defaultIntervalMs = 60_000

interface Worker {
  current: StoredGitSource
  readonly wake: Queue.Queue<void>
  readonly fiber: Fiber.Fiber<never, never>
}

/** One source, forever: sync, record, wait. Errors of one pass are logged and retried with backoff. */
const sourceLoop = (context: SyncContext, fences: ReadonlyArray<Fence>, worker: () => Worker, wake: Queue.Queue<void>) =>
  Effect.gen(function*() {
    const store = yield* GitSourceStore
    let failures = 0
    for (;;) {
      const source = worker().current
      const name = source.metadata.name
      if (source.spec.suspend === true) {
        yield* Queue.take(wake)
        continue
      }
      const pass = Effect.gen(function*() {
        const [lastStatus, request] = yield* Effect.all([store.status(name), store.pendingRequest(name)], { concurrency: 2 })
        const previous = Option.getOrUndefined(lastStatus)
        const pending = Option.getOrUndefined(request)
        const status = yield* syncSource(context, source, previous, pending?.request, fences)
        failures = status.failures ?? 0
        const delay = nextDelayMs(failures, intervalMillis(source.spec.interval, defaultIntervalMs), yield* Random.next)
        const nextSyncAt = DateTime.formatIso(DateTime.add(yield* DateTime.now, { milliseconds: delay }))
        yield* store.putStatus(name, { ...status, nextSyncAt })
        if (pending !== undefined) yield* store.clearRequest(name, pending.modRevision)
        if (status.failures !== undefined) {
          yield* Effect.logWarning("gitsource sync failed").pipe(
            Effect.annotateLogs({ gitsource: name, reason: status.conditions[0]?.message ?? "", failures })
          )
        }
        return delay
      })
      // A failed pass (etcd away) or a bug must not end the source's loop: log, back off, go on.
      const delay = yield* pass.pipe(
        Effect.catchDefect((defect) => Effect.fail(defect)),
        Effect.catch((error) =>
          Effect.gen(function*() {
            failures++
            yield* Effect.logWarning("gitsource pass failed").pipe(Effect.annotateLogs({ gitsource: name, error: String(error) }))
            return nextDelayMs(failures, 0, 0)
          })
        )
      )
      // Whichever comes first: the timer or a request (a webhook, the CLI, a changed spec).
      yield* Effect.raceFirst(Effect.sleep(delay), Queue.take(wake))
    }
  })

/**
 * Runs every GitSource's loop while the caller's scope lives (the leadership term). Spec writes
 * hold `fences` (the leader key): a leader deposed in the middle of a sync writes nothing more.
 */
export const runGitOps = (
  context: SyncContext,
  fences: ReadonlyArray<Fence> = []
): Effect.Effect<never, never, EtcdClient | GitSourceStore | SpecStore | Scope.Scope> =>
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)
    const workers = new Map<string, Worker>()
    const poke = (name: string) => {
      const worker = workers.get(name)
      return worker === undefined ? Effect.void : Queue.offer(worker.wake, undefined).pipe(Effect.asVoid)
    }

    const upsert = (source: StoredGitSource) =>
      Effect.gen(function*() {
        const name = source.metadata.name
        const existing = workers.get(name)
        if (existing !== undefined) {
          const changed = existing.current.metadata.resourceVersion !== source.metadata.resourceVersion
          existing.current = source
          if (changed) yield* poke(name)
          return
        }
        const wake = yield* Queue.sliding<void>(1)
        const fiber = yield* sourceLoop(context, fences, () => workers.get(name)!, wake).pipe(Effect.forkScoped)
        workers.set(name, { current: source, wake, fiber })
      })

    const remove = (name: string) =>
      Effect.gen(function*() {
        const worker = workers.get(name)
        if (worker === undefined) return
        workers.delete(name)
        yield* Fiber.interrupt(worker.fiber)
      })

    const nameOf = (key: string, prefix: string) => key.slice(prefix.length)

    yield* informer({ prefix: keys.gitSourceRequests, parse: (_key, value) => value }).pipe(
      Stream.runForEach((event) => event._tag === "Upsert" ? poke(nameOf(event.key, keys.gitSourceRequests)) : Effect.void),
      Effect.forkScoped
    )
    return yield* informer<StoredGitSource>({ prefix: keys.gitSources, parse: parseStoredSource }).pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "Upsert":
            return upsert(event.value)
          case "Delete":
            return remove(nameOf(event.key, keys.gitSources))
          default:
            return Effect.void
        }
      }),
      Effect.andThen(Effect.never)
    )
  })
