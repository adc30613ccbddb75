// The etcd layer of SpecStore (design.md §3): every write is a compare-and-swap transaction on the
// spec key's mod revision, with its history entry (and the history trimmed to the newest 10) in
// the same transaction. What to write is decided by SpecStore's pure `decideApply`, which the
// memory layer shares.
import { DateTime, Effect, Fiber, Layer, Option, Result } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { ServiceInstance } from "../domain/ServiceInstance.ts"
import { EtcdClient } from "./EtcdClient.ts"
import { historyLimit, makeKeys } from "./Keys.ts"
import { txnBatches } from "./internal/txnBatches.ts"
import { deleteRepeatingUnanswered } from "./internal/unansweredDelete.ts"
import type { ApplyDecision, ApplyItem, ApplyOptions, ApplyOutcome, HistoryEntry, RemoveOptions, StoredInstance } from "./SpecStore.ts"
import type { Fence } from "./StatusStore.ts"
import { CorruptSpecError, decideApply, parseStored, SpecConflictError, SpecStore, storedValue, withRevision } from "./SpecStore.ts"

/** Documents decided ahead of the writes of `applyMany`: two of etcd's largest transactions of creates. */
const applyRunLength = 128

export const etcdSpecStoreLayer: Layer.Layer<SpecStore, never, EtcdClient> = Layer.effect(
  SpecStore,
  Effect.gen(function*() {
    const etcd = yield* EtcdClient
    const keys = makeKeys(etcd.prefix)

    const get = Effect.fn("SpecStore.get")(function*(name: InstanceName) {
      const key = keys.spec(name)
      const response = yield* etcd.callIdempotent("get", (client) => client.get(key).exec())
      const kv = response.kvs[0]
      if (kv === undefined) return Option.none<StoredInstance>()
      const parsed = parseStored(key, kv.value.toString(), kv.mod_revision)
      if (parsed instanceof CorruptSpecError) return yield* parsed
      return Option.some(parsed)
    })

    const list = Effect.fn("SpecStore.list")(function*(options: { readonly reuse?: ReadonlyMap<string, StoredInstance> } = {}) {
      const response = yield* etcd.callIdempotent("list", (client) => client.getAll().prefix(keys.specs).exec())
      const items: Array<StoredInstance> = []
      const corrupt: Array<CorruptSpecError> = []
      for (const kv of response.kvs) {
        const key = kv.key.toString()
        const known = options.reuse?.get(key.slice(keys.specs.length))
        if (known !== undefined && known.metadata.resourceVersion === kv.mod_revision) {
          items.push(known)
          continue
        }
        const parsed = parseStored(key, kv.value.toString(), kv.mod_revision)
        if (parsed instanceof CorruptSpecError) corrupt.push(parsed)
        else items.push(parsed)
      }
      return { items, corrupt, revision: response.header.revision }
    })

    const conflict = (name: string, message: string) => new SpecConflictError({ name, message })

    // Every fence is one more compare in the write's transaction (see ApplyOptions.fences).
    const guard = (
      client: EtcdClient["Service"]["client"],
      key: string,
      column: "Create" | "Mod",
      value: string | number,
      fences: ReadonlyArray<Fence> = []
    ) => {
      const comparison = client.if(key, column, "==", value)
      for (const fence of fences) comparison.and(fence.key, "Create", "==", fence.createRevision)
      return comparison
    }
    /** Why a fenced write failed: a fence no longer held, or else the object moved. */
    const refusal = Effect.fnUntraced(function*(name: string, fences: ReadonlyArray<Fence> | undefined, otherwise: string) {
      for (const fence of fences ?? []) {
        const held = yield* etcd.callIdempotent("read fence", (client) => client.get(fence.key).exec())
        if (held.kvs[0]?.create_revision !== fence.createRevision) {
          return conflict(name, `refused: ${fence.key} is no longer held by this writer`)
        }
      }
      return conflict(name, otherwise)
    })

    type Write = Extract<ApplyDecision, { readonly _tag: "Create" | "Update" }>

    // Revisions are sparse generations, so the history entries a new one pushes out are found by
    // listing; the spec key's compare-and-swap serialises every writer of this history.
    const droppedHistory = (name: InstanceName, decision: Write) =>
      decision._tag === "Create" || decision.history === undefined
        ? Effect.succeed<ReadonlyArray<string>>([])
        : Effect.map(
          etcd.callIdempotent("historyKeys", (client) => client.getAll().prefix(keys.history(name)).keys()),
          (kept) => [...kept].sort().slice(0, Math.max(0, kept.length + 1 - historyLimit))
        )

    /** The spec's put and its history entry (with the entries it pushes out), as a transaction's operations. */
    const writeOps = (client: EtcdClient["Service"]["client"], name: InstanceName, decision: Write, dropped: ReadonlyArray<string>) => {
      const spec = client.put(keys.spec(name)).value(storedValue(decision.instance))
      if (decision._tag === "Create") return [spec, client.put(keys.historyEntry(name, 1)).value(JSON.stringify(decision.history))]
      const history = decision.history
      return history === undefined
        ? [spec]
        : [
          spec,
          client.put(keys.historyEntry(name, history.generation)).value(JSON.stringify(history)),
          ...dropped.map((old) => client.delete().key(old))
        ]
    }
    const expectation = (decision: Write) =>
      decision._tag === "Create" ? { column: "Create" as const, value: 0 } : { column: "Mod" as const, value: decision.expectedRevision }
    const outcomeOf = (decision: Write, revision: string): ApplyOutcome => ({
      action: decision._tag === "Create" ? "created" : "configured",
      instance: withRevision(decision.instance, revision)
    })
    const refusedText = (decision: Write, name: string) =>
      decision._tag === "Create"
        ? `${name} was created by someone else meanwhile; re-read and retry`
        : `the object has been modified since it was read; apply again to retry`

    const decide = Effect.fnUntraced(function*(given: ServiceInstance, options: ApplyOptions) {
      const current = options.current ?? (yield* get(given.metadata.name))
      return decideApply(current, given, options, DateTime.formatIso(yield* DateTime.now), () => crypto.randomUUID())
    })

    const apply = Effect.fn("SpecStore.apply")(function*(given: ServiceInstance, options: ApplyOptions = {}) {
      const name = given.metadata.name
      const decision = yield* decide(given, options)
      if (decision._tag === "Conflict") return yield* conflict(name, decision.message)
      if (decision._tag === "Unchanged") return { action: "unchanged" as const, instance: decision.instance }
      if (options.dryRun === true) return outcomeOf(decision, decision.instance.metadata.resourceVersion)
      const dropped = yield* droppedHistory(name, decision)
      const { column, value } = expectation(decision)
      const result = yield* etcd.call(
        decision._tag === "Create" ? "create" : "update",
        (client) =>
          guard(client, keys.spec(name), column, value, options.fences).then(...writeOps(client, name, decision, dropped)).commit()
      )
      if (!result.succeeded) return yield* (yield* refusal(name, options.fences, refusedText(decision, name)))
      return outcomeOf(decision, result.header.revision)
    })

    type Outcome = Result.Result<ApplyOutcome, SpecConflictError | CorruptSpecError>
    interface PendingWrite {
      readonly index: number
      readonly name: InstanceName
      readonly decision: Write
      readonly dropped: ReadonlyArray<string>
      readonly options: ApplyOptions
      readonly keys: ReadonlyArray<string>
      readonly compares: number
      readonly operations: number
      readonly bytes: number
      readonly group: string
    }

    /** Decides items[from, to): sets the outcome of each that needs no write, returns the others' writes in order. */
    const decideRun = (items: ReadonlyArray<ApplyItem>, from: number, to: number, outcomes: Array<Outcome | undefined>) =>
      Effect.gen(function*() {
        const writes: Array<PendingWrite> = []
        yield* Effect.forEach(items.slice(from, to), ({ document, options = {} }, offset) =>
          Effect.gen(function*() {
            const index = from + offset
            const name = document.metadata.name
            const decided = yield* Effect.result(decide(document, options))
            if (Result.isFailure(decided)) {
              if (decided.failure._tag === "StoreError") return yield* decided.failure
              outcomes[index] = Result.fail(decided.failure)
              return
            }
            const decision = decided.success
            if (decision._tag === "Conflict") outcomes[index] = Result.fail(new SpecConflictError({ name, message: decision.message }))
            else if (decision._tag === "Unchanged") outcomes[index] = Result.succeed({ action: "unchanged", instance: decision.instance })
            else if (options.dryRun === true) {
              outcomes[index] = Result.succeed(outcomeOf(decision, decision.instance.metadata.resourceVersion))
            } else {
              const dropped = yield* droppedHistory(name, decision)
              const fences = options.fences ?? []
              writes.push({
                index,
                name,
                decision,
                dropped,
                options,
                keys: [keys.spec(name)],
                compares: 1 + fences.length,
                operations: 2 + dropped.length,
                bytes: storedValue(decision.instance).length * 2 + 512,
                group: fences.map((fence) => `${fence.key}@${fence.createRevision}`).join(",")
              })
            }
          }), { concurrency: 16, discard: true })
        return writes.sort((a, b) => a.index - b.index)
      })

    /** Writes as few transactions as etcd takes; when one is refused, its writes are tried alone. */
    const writeRun = (items: ReadonlyArray<ApplyItem>, writes: ReadonlyArray<PendingWrite>, outcomes: Array<Outcome | undefined>) =>
      Effect.gen(function*() {
        for (const batch of txnBatches(writes)) {
          const result = yield* etcd.call("apply batch", (client) => {
            const [first, ...rest] = batch
            const head = expectation(first!.decision)
            const comparison = guard(client, keys.spec(first!.name), head.column, head.value, first!.options.fences)
            for (const write of rest) {
              const { column, value } = expectation(write.decision)
              comparison.and(keys.spec(write.name), column, "==", value)
            }
            return comparison.then(...batch.flatMap((write) => writeOps(client, write.name, write.decision, write.dropped))).commit()
          })
          if (result.succeeded) {
            for (const write of batch) outcomes[write.index] = Result.succeed(outcomeOf(write.decision, result.header.revision))
            continue
          }
          // One of them moved (or a fence went): each alone, so only the one that moved fails.
          for (const write of batch) {
            outcomes[write.index] = yield* Effect.result(apply(items[write.index]!.document, write.options)).pipe(
              Effect.flatMap((outcome) =>
                Result.isFailure(outcome) && outcome.failure._tag === "StoreError" ? Effect.fail(outcome.failure) : Effect.succeed(
                  outcome as Outcome
                )
              )
            )
          }
        }
      })

    // Decided a run at a time, each run written while the next one is decided: with many
    // documents the first specs reach etcd (and the controller can start on them) before the last
    // are read, instead of all at the very end. Runs are written in order, so a name given twice
    // is still written in the order given. An etcd failure ends the call; what was written stays
    // written (each spec whole, with its history), and applying again finds it unchanged.
    const applyMany = Effect.fn("SpecStore.applyMany")(function*(items: ReadonlyArray<ApplyItem>) {
      const outcomes: Array<Outcome | undefined> = items.map(() => undefined)
      const runStarts = Array.from({ length: Math.ceil(items.length / applyRunLength) }, (_, run) => run * applyRunLength)
      const decideFrom = (from: number) => decideRun(items, from, from + applyRunLength, outcomes)
      let deciding = runStarts.length === 0 ? undefined : yield* Effect.forkChild(decideFrom(0))
      for (let run = 0; run < runStarts.length; run++) {
        const writes = yield* Fiber.join(deciding!)
        const next = runStarts[run + 1]
        deciding = next === undefined ? undefined : yield* Effect.forkChild(decideFrom(next))
        yield* writeRun(items, writes, outcomes)
      }
      return outcomes as ReadonlyArray<Outcome>
    })

    const remove = Effect.fn("SpecStore.remove")(function*(
      name: InstanceName,
      options: RemoveOptions = {}
    ) {
      const current = yield* get(name)
      if (Option.isNone(current)) return current
      const revision = current.value.metadata.resourceVersion
      const expected = options.expectedResourceVersion
      if (expected !== undefined && expected !== revision) {
        return yield* conflict(name, `the object has been modified (resourceVersion ${expected}, now ${revision})`)
      }
      if (options.dryRun === true) return current
      const key = keys.spec(name)
      const result = yield* etcd.call("delete", (client) =>
        guard(client, key, "Mod", revision, options.fences)
          .then(client.delete().key(key), client.delete().prefix(keys.history(name)))
          .commit())
      if (!result.succeeded) {
        return yield* (yield* refusal(name, options.fences, `the object has been modified since it was read; delete again to retry`))
      }
      return current
    })

    const history = Effect.fn("SpecStore.history")(function*(name: InstanceName) {
      const response = yield* etcd.callIdempotent("history", (client) => client.getAll().prefix(keys.history(name)).exec())
      return response.kvs.map((kv) => JSON.parse(kv.value.toString()) as HistoryEntry)
        .sort((a, b) => a.generation - b.generation)
    })

    const removeAll = Effect.fn("SpecStore.removeAll")(function*(names: ReadonlyArray<InstanceName>) {
      const unique = [...new Set(names)]
      // A spec that cannot be decoded is still a spec: its key is deleted like any other.
      const found: Array<{ readonly name: InstanceName; readonly revision: string }> = []
      const missing: Array<string> = []
      for (const name of unique) {
        const response = yield* etcd.callIdempotent("read spec", (client) => client.get(keys.spec(name)).exec())
        const kv = response.kvs[0]
        if (kv === undefined) missing.push(name)
        else found.push({ name, revision: kv.mod_revision })
      }
      if (found.length === 0) return { removed: [], missing }
      const outcome = yield* deleteRepeatingUnanswered({
        send: etcd.call("delete", (client) => {
          const [first, ...rest] = found
          const guard = client.if(keys.spec(first!.name), "Mod", "==", first!.revision)
          for (const entry of rest) guard.and(keys.spec(entry.name), "Mod", "==", entry.revision)
          return guard.then(
            ...found.flatMap(({ name }) => [client.delete().key(keys.spec(name)), client.delete().prefix(keys.history(name))])
          ).commit()
        }).pipe(Effect.map((result) => result.succeeded)),
        readRevisions: Effect.forEach(
          found,
          ({ name }) =>
            etcd.callIdempotent("read spec", (client) => client.get(keys.spec(name)).exec()).pipe(
              Effect.map((response) => response.kvs[0]?.mod_revision)
            )
        ),
        revisions: found.map((entry) => entry.revision)
      })
      if (outcome === "refused") {
        return yield* conflict(
          found[0]!.name,
          `one of ${found.length} specs was modified since it was read; nothing was deleted, delete again to retry`
        )
      }
      if (outcome === "changed") {
        return yield* conflict(
          found[0]!.name,
          `etcd did not answer the delete, and one of ${found.length} specs changed since it was read; run get to see what is left, and delete again`
        )
      }
      return { removed: found.map((entry) => entry.name), missing }
    })

    return SpecStore.of({ get, list, apply, applyMany, remove, removeAll, history })
  })
)
