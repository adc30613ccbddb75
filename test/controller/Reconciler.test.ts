// The reconciler as a service, on memory layers and TestClock: every way a pass can end, and what
// it writes (or, more to the point, does not write) to Marathon and status on the way.
import { assert, describe, it } from "@effect/vitest"
import { Clock, DateTime, Effect, Exit, Layer, Option, Scope } from "effect"
import { TestClock } from "effect/testing"
import { CleanupLedger } from "../../src/cleanup/CleanupLedger.ts"
import type { CleanupInput } from "../../src/controller/CleanupGuard.ts"
import { Executor } from "../../src/controller/Executor.ts"
import { MarathonFields } from "../../src/controller/MarathonFields.ts"
import { makeMarathonSnapshot } from "../../src/controller/MarathonSnapshot.ts"
import { InvalidSpec, resultOf } from "../../src/controller/Outcome.ts"
import { Owner } from "../../src/controller/Owner.ts"
import { makeReconciler } from "../../src/controller/Reconciler.ts"
import { cachedStores } from "../../src/controller/CachedStores.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import type { ServiceInstanceSpec } from "../../src/domain/ServiceInstanceSpec.ts"
import { DrainMethods } from "../../src/drain/DrainMethods.ts"
import type { DrainRecord } from "../../src/drain/DrainRecord.ts"
import { DrainRecords } from "../../src/drain/DrainRecords.ts"
import { MarathonError, Unavailable } from "../../src/marathon/MarathonError.ts"
import { MarathonMemory } from "../../src/marathon/MarathonMemory.ts"
import { MarathonShards } from "../../src/marathon/MarathonShards.ts"
import { MesosMaintenance } from "../../src/marathon/MesosMaintenance.ts"
import type { EtcdSession } from "../../src/store/EtcdSession.ts"
import { EventRecorder } from "../../src/events/EventRecorder.ts"
import { Locks } from "../../src/store/Locks.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import type { StateCache } from "../../src/controller/StateCache.ts"
import type { Fence } from "../../src/store/StatusStore.ts"
import { isPassSpan, passOf, passRootName } from "../../src/rollouts/PassTrace.ts"
import type { RecordedSpan } from "../../src/telemetry/SpanRecorder.ts"
import { TraceTap } from "../../src/telemetry/TraceTap.ts"
import { fakeHttpLayer } from "../marathon/FakeHttp.ts"
import { app, tasks } from "../plan/Fixtures.ts"

const owner = "us"
const layer = Executor.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(
    Owner.layer({ owner, adoptUnowned: false }),
    MarathonShards.layerSingle.pipe(Layer.provideMerge(MarathonMemory.layer)),
    MesosMaintenance.layerNone,
    MarathonFields.layerDefault,
    DrainRecords.layerMemory,
    CleanupLedger.layerMemory,
    SpecStore.layerMemory,
    StatusStore.layerMemory,
    Locks.layerMemory,
    EventRecorder.layerMemory,
    DrainMethods.layerNoDeps().pipe(Layer.provide(fakeHttpLayer(() => ({ status: 200 }))))
  ))
)

/** A session whose lease has `remainingMs` left (never renewed or lost by itself). */
const session = (remainingMs = 60_000): EtcdSession => ({
  leaseId: "memory",
  ttlSeconds: 10,
  isValid: Effect.succeed(remainingMs > 0),
  remainingMs: Effect.succeed(remainingMs),
  lost: Effect.never
})

const web = "web.main" as InstanceName
const document = (name: string, spec: ServiceInstanceSpec): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name },
  spec: { gitSha: "abcdef12", image: `${name}:1`, instances: 2, ports: [8080], drain: { method: "noop" }, ...spec }
})
const cleanup = (input: Partial<CleanupInput> = {}) =>
  Effect.succeed<CleanupInput>({
    specNames: new Set(["other.main"]),
    specsSynced: true,
    managedInstances: new Set(),
    force: false,
    ...input
  })

const reconcilerWith = (
  options: {
    readonly remainingMs?: number
    readonly cleanupInput?: Effect.Effect<CleanupInput>
    readonly cache?: StateCache
    readonly fences?: ReadonlyArray<Fence>
  } = {}
) =>
  Effect.gen(function*() {
    const snapshot = yield* makeMarathonSnapshot({ minIntervalMs: 0 })
    const made = makeReconciler({
      snapshot,
      session: session(options.remainingMs),
      holder: "test",
      fences: options.fences ?? [],
      cleanupInput: options.cleanupInput ?? cleanup(),
      ...(options.cache === undefined ? {} : { watched: options.cache })
    })
    const reconciler = yield* (options.cache === undefined ? made : made.pipe(Effect.provide(cachedStores(options.cache))))
    return { ...reconciler, snapshot }
  })

/**
 * A watch-fed cache as the controller keeps one, filled here by hand from the memory stores;
 * `records`: the drain records its watch shows, per instance.
 */
const cacheOf = (
  specs: Map<string, StoredInstance>,
  records: ReadonlyMap<string, ReadonlyMap<string, DrainRecord>> = new Map()
): StateCache => {
  const statuses = new Map<string, InstanceStatus>()
  return {
    specNames: () => [...specs.keys()],
    specsSynced: () => true,
    invalidSpec: () => undefined,
    invalidNames: () => [],
    statusNames: () => [...statuses.keys()],
    statusesSynced: () => true,
    synced: Effect.void,
    spec: (name) => Option.fromNullishOr(specs.get(name)),
    status: (name) => statuses.get(name),
    drainRecords: (name) => records.get(name) ?? new Map(),
    wroteStatus: (name, status) => {
      if (status === undefined) statuses.delete(name)
      else statuses.set(name, status)
    }
  }
}

const writes = Effect.gen(function*() {
  const calls = yield* (yield* MarathonMemory).calls
  return calls.map((call) => call.operation).filter((operation) => !operation.startsWith("list") && operation !== "getApp")
})

/** An app of ours for `name` with `count` running, healthy tasks. */
const running = (name: string, count: number) => {
  const id = `/${name}.gitold00001.config00000001`
  return {
    ...app(id, tasks(id, "t", count, { alive: [true] })),
    labels: { MDEPLOY_MANAGED: "true", MDEPLOY_SERVICE: name.split(".")[0]!, MDEPLOY_INSTANCE: "main", MDEPLOY_OWNER: owner }
  }
}

/**
 * web.main created and run to Running (two healthy tasks) by a reconciler on a watch-fed cache;
 * `specs` is that cache's spec map, for edits.
 */
const runningWebWith = Effect.fnUntraced(function*(
  spec: Partial<ServiceInstanceSpec> = {},
  records: ReadonlyMap<string, ReadonlyMap<string, DrainRecord>> = new Map()
) {
  const memory = yield* MarathonMemory
  const stored = yield* (yield* SpecStore).apply(document("web.main", spec as ServiceInstanceSpec))
  const specs = new Map([["web.main", stored.instance]])
  const reconciler = yield* reconcilerWith({ cache: cacheOf(specs, records) })
  yield* reconciler.reconcile(web)
  const [created] = yield* memory.apps
  yield* memory.addTasks(created!.id, tasks(created!.id, "n", 2))
  // Passes until Running: status settles.
  for (let pass = 0; pass < 3; pass++) {
    yield* TestClock.adjust("1 second")
    yield* reconciler.reconcile(web)
  }
  assert.strictEqual(Option.getOrThrow(yield* (yield* StatusStore).get(web)).phase, "Running")
  return { specs, reconciler, snapshot: reconciler.snapshot }
})
const runningWeb = runningWebWith()

/** Someone else holds web.main's lock until the returned scope closes: a pass that needs it is LockHeld. */
const lockHeldElsewhere = Effect.gen(function*() {
  const scope = yield* Scope.make()
  yield* (yield* Locks).instance(web, "someone-else", session()).pipe(Scope.provide(scope))
  return scope
})

/**
 * The memory locks, telling `seen` which ones a pass asks for; `afterTake` runs once the instance
 * lock for a create is held (what may happen between a look and its pass).
 */
const recordingLocks = (seen: Array<string>, afterTake: () => void) =>
  Layer.effect(
    Locks,
    Effect.map(Locks, (locks) =>
      Locks.of({
        instance: (...args) => Effect.andThen(Effect.sync(() => seen.push("instance")), locks.instance(...args)),
        instanceForCreate: (...args) =>
          Effect.gen(function*() {
            seen.push("instanceForCreate")
            const held = yield* locks.instanceForCreate(...args)
            afterTake()
            return {
              ...held,
              releaseShared: Effect.andThen(Effect.sync(() => seen.push("releaseShared")), held.releaseShared),
              givenBack: Effect.andThen(Effect.sync(() => seen.push("givenBack")), held.givenBack)
            }
          }),
        appLifecycleShared: (...args) =>
          Effect.andThen(Effect.sync(() => seen.push("appLifecycleShared")), locks.appLifecycleShared(...args)),
        appLifecycleExclusive: (...args) =>
          Effect.andThen(Effect.sync(() => seen.push("appLifecycleExclusive")), locks.appLifecycleExclusive(...args))
      }))
  ).pipe(Layer.provide(Locks.layerMemory))

/** The memory drain records, telling `seen` of every read. */
const recordingDrainRecords = (seen: Array<string>) =>
  Layer.effect(
    DrainRecords,
    Effect.map(DrainRecords, (records) =>
      DrainRecords.of({
        ...records,
        list: (name) => Effect.andThen(Effect.sync(() => seen.push("records.list")), records.list(name))
      }))
  ).pipe(Layer.provide(DrainRecords.layerMemory))

describe("Reconciler (memory layers, TestClock)", () => {
  it.effect("an idle pass of a settled instance takes no lock and writes nothing; an edit takes the lock again", () =>
    Effect.gen(function*() {
      const { specs, reconciler } = yield* runningWeb
      // Someone holds the instance lock: an idle pass does not need it.
      const scope = yield* Scope.make()
      yield* (yield* Locks).instance(web, "someone-else", session()).pipe(Scope.provide(scope))
      const writesBefore = (yield* writes).length
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* reconciler.reconcile(web))._tag, "Done")
      assert.strictEqual((yield* writes).length, writesBefore)
      // An edit has work to do: it needs the lock, which is held.
      const edited = yield* (yield* SpecStore).apply(document("web.main", { image: "web.main:2" }))
      specs.set("web.main", edited.instance)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* reconciler.reconcile(web))._tag, "LockHeld")
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(layer)))

  it.effect("an edit that creates takes its app-lifecycle reader with the instance lock and plans on the watch's drain records; a spec deleted meanwhile gives the reader back first", () => {
    const seen: Array<string> = []
    let afterTake = () => {}
    return Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const { specs, reconciler } = yield* runningWeb
      const edited = yield* (yield* SpecStore).apply(document("web.main", { image: "web.main:2" }))
      specs.set("web.main", edited.instance)
      seen.length = 0
      yield* TestClock.adjust("1 second")
      yield* reconciler.reconcile(web)
      assert.deepStrictEqual(
        seen,
        ["instanceForCreate", "givenBack"],
        "one acquisition, the reader with it; the watch's drain records stand; both given back with the status"
      )
      assert.include(yield* writes, "createApp")

      // The spec is deleted between the look (an edit: a create likely) and the pass: the pass
      // tears down, and a reader of its own must not hold its tear-down up.
      for (const name of ["api.main", "db.main", "cache.main"]) yield* memory.seed(running(name, 2))
      const input = cleanup({ managedInstances: new Set(["web.main", "api.main", "db.main", "cache.main"]) })
      const tearing = yield* reconcilerWith({ cache: cacheOf(specs), cleanupInput: input })
      afterTake = () => specs.delete("web.main")
      seen.length = 0
      yield* TestClock.adjust("1 second")
      const outcome = yield* tearing.reconcile(web)
      // A tear-down is planned on drain records read under the lock, not on the watch's.
      assert.deepStrictEqual(seen, ["instanceForCreate", "records.list", "releaseShared", "appLifecycleExclusive", "givenBack"])
      assert.notStrictEqual(outcome._tag, "LockHeld")
      assert.notStrictEqual(outcome._tag, "Failed")
    }).pipe(Effect.provide(Layer.merge(recordingLocks(seen, () => afterTake()), recordingDrainRecords(seen))), Effect.provide(layer))
  })

  it.effect("an edit's pass reads Marathon once, after taking the lock; a scale-up is sent without reading the app again", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const { specs, reconciler } = yield* runningWeb
      const edited = yield* (yield* SpecStore).apply(document("web.main", { instances: 3 }))
      specs.set("web.main", edited.instance)
      const since = (yield* memory.calls).length
      const callsSince = Effect.map(memory.calls, (calls) => calls.slice(since).map((call) => call.operation))
      // The lock held elsewhere: an edit is known to be work without a look at Marathon.
      const scope = yield* Scope.make()
      yield* (yield* Locks).instance(web, "someone-else", session()).pipe(Scope.provide(scope))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* reconciler.reconcile(web))._tag, "LockHeld")
      assert.deepStrictEqual(yield* callsSince, [])
      yield* Scope.close(scope, Exit.void)
      // Free again: one read of the instance under the lock, then the scale-up.
      yield* TestClock.adjust("1 second")
      yield* reconciler.reconcile(web)
      assert.deepStrictEqual(yield* callsSince, ["listApps", "scaleApp"])
      assert.strictEqual((yield* memory.apps)[0]!.instances, 3)
    }).pipe(Effect.provide(layer)))

  it.effect("a pass's root span names the leader key it ran under, which its rollout record is held by", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      const leader: Fence = { key: "/mdeploy/v1/leader", createRevision: "41" }
      const reconciler = yield* reconcilerWith({ fences: [leader] })
      const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
      const heard: Array<ReadonlyArray<RecordedSpan>> = []
      tap.listen((spans) => heard.push(spans))
      yield* Effect.withTracer(reconciler.reconcile(web), tap.wrap(yield* Effect.tracer))
      assert.deepStrictEqual(heard.map((spans) => passOf(spans)?.fence), [leader])
    }).pipe(Effect.provide(layer)))

  it.effect("a new spec: the app is created with its owner, status records the generation, the pass comes back", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      const outcome = yield* (yield* reconcilerWith()).reconcile(web)
      assert.strictEqual(outcome._tag, "RequeueAfter")
      assert.deepStrictEqual(yield* writes, ["createApp"])
      const [created] = yield* (yield* MarathonMemory).apps
      assert.strictEqual(created?.labels["MDEPLOY_OWNER"], owner)
      const status = Option.getOrThrow(yield* (yield* StatusStore).get(web))
      assert.strictEqual(status.observedGeneration, 1)
      assert.strictEqual(status.lastReconcile?.result, "RequeueAfter")
      const told = (yield* (yield* EventRecorder).list("web.main")).map((listed) =>
        `${listed.event.type} ${listed.event.reason}: ${listed.event.message}`
      )
      assert.deepStrictEqual(told, [`Normal AppCreated: created ${created!.id}`])
    }).pipe(Effect.provide(layer)))

  it.effect("a dry run plans the create and writes nothing, to Marathon or status", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      const outcome = yield* (yield* reconcilerWith()).reconcile(web, { dryRun: true })
      assert.isTrue(outcome._tag === "Done" && outcome.plan?.actions[0]?.type === "createApp")
      assert.deepStrictEqual(yield* writes, [])
      assert.isTrue(Option.isNone(yield* (yield* StatusStore).get(web)))
    }).pipe(Effect.provide(layer)))

  it.effect("a spec the field policy denies ends terminal (phase Invalid); its running app is not touched", () =>
    Effect.gen(function*() {
      yield* (yield* MarathonMemory).seed(running("web.main", 2))
      yield* (yield* SpecStore).apply(document("web.main", { marathon: { user: "root" } }))
      const outcome = yield* (yield* reconcilerWith()).reconcile(web)
      assert.isTrue(outcome._tag === "Failed" && outcome.terminal && outcome.error instanceof InvalidSpec)
      assert.strictEqual(resultOf(outcome), "Invalid")
      assert.deepStrictEqual(yield* writes, [])
      assert.strictEqual(Option.getOrThrow(yield* (yield* StatusStore).get(web)).phase, "Invalid")
    }).pipe(Effect.provide(layer)))

  it.effect("the instance lock held elsewhere: LockHeld naming the holder, nothing written", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      const scope = yield* Scope.make()
      yield* (yield* Locks).instance(web, "someone-else", session()).pipe(Scope.provide(scope))
      const outcome = yield* (yield* reconcilerWith()).reconcile(web)
      assert.deepStrictEqual(outcome, { _tag: "LockHeld", holder: "someone-else", seconds: 2 })
      assert.deepStrictEqual(yield* writes, [])
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* (yield* reconcilerWith()).reconcile(web))._tag, "RequeueAfter")
    }).pipe(Effect.provide(layer)))

  it.effect("Marathon unavailable: a retryable failure keeps its MarathonError, and status says why", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      yield* (yield* MarathonMemory).failNext("listApps", new Unavailable({ message: "502 Bad Gateway", status: 502 }))
      const outcome = yield* (yield* reconcilerWith()).reconcile(web)
      assert.isTrue(outcome._tag === "Failed" && !outcome.terminal && outcome.error instanceof MarathonError)
      assert.deepStrictEqual(yield* writes, [])
      assert.match(Option.getOrThrow(yield* (yield* StatusStore).get(web)).lastReconcile?.error ?? "", /502/)
    }).pipe(Effect.provide(layer)))

  it.effect("with less lease left than a write needs, the create is refused before it is sent", () =>
    Effect.gen(function*() {
      yield* (yield* SpecStore).apply(document("web.main", {}))
      const outcome = yield* (yield* reconcilerWith({ remainingMs: 100 })).reconcile(web)
      assert.isTrue(outcome._tag === "Failed" && !outcome.terminal && (outcome.error as { _tag: string })._tag === "WriteRefused")
      assert.deepStrictEqual(yield* writes, [])
    }).pipe(Effect.provide(layer)))

  it.effect("a deleted spec whose instance is the only one managed: tear-down refused, CleanupRefused, apps kept", () =>
    Effect.gen(function*() {
      yield* (yield* MarathonMemory).seed(running("web.main", 2))
      const outcome = yield* (yield* reconcilerWith({ cleanupInput: cleanup({ managedInstances: new Set(["web.main"]) }) })).reconcile(web)
      assert.isTrue(outcome._tag === "RequeueAfter" && /deletion budget/.test(outcome.problem ?? ""))
      assert.deepStrictEqual(yield* writes, [])
      assert.strictEqual(Option.getOrThrow(yield* (yield* StatusStore).get(web)).phase, "CleanupRefused")
      // Told when it happened, not again on every retry.
      yield* (yield* reconcilerWith({ cleanupInput: cleanup({ managedInstances: new Set(["web.main"]) }) })).reconcile(web)
      const told = yield* (yield* EventRecorder).list("web.main")
      assert.deepStrictEqual(told.map((listed) => [listed.event.type, listed.event.reason, listed.event.count]), [[
        "Warning",
        "CleanupRefused",
        1
      ]])
    }).pipe(Effect.provide(layer)))

  it.effect("a deleted spec within the budget: drained (noop), killed and deleted over passes, then its status is gone", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      for (const name of ["web.main", "api.main", "db.main", "cache.main"]) yield* memory.seed(running(name, 2))
      const input = cleanup({ managedInstances: new Set(["web.main", "api.main", "db.main", "cache.main"]) })
      const reconciler = yield* reconcilerWith({ cleanupInput: input })
      for (let pass = 0; pass < 5 && (yield* memory.apps).some((a) => a.id.startsWith("/web.main.")); pass++) {
        // Each pass wants Marathon as of its own start, after the last pass's writes.
        yield* TestClock.adjust("1 second")
        const outcome = yield* reconciler.reconcile(web)
        assert.notStrictEqual(outcome._tag, "Failed")
      }
      assert.isFalse((yield* memory.apps).some((a) => a.id.startsWith("/web.main.")))
      assert.strictEqual((yield* memory.apps).length, 3, "the other instances' apps are untouched")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* reconciler.reconcile(web))._tag, "Done")
      assert.isTrue(Option.isNone(yield* (yield* StatusStore).get(web)))
      const reasons = (yield* (yield* EventRecorder).list("web.main")).map((listed) => listed.event.reason)
      assert.includeMembers(reasons, ["TasksKilled", "AppDeleted"])
    }).pipe(Effect.provide(layer)))
})

// A resync's look (notBefore 0) at a settled instance runs without a fiber when every answer is in
// memory: the shared list, the watch's spec, status and drain records, a drain method that needs
// no backend. These are the cases where that look must not say "idle".
describe("Reconciler: the lock-free look from memory", () => {
  it.effect("a resync's look reads nothing; an event's look reads Marathon after the event, not the list from before it", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const { reconciler, snapshot } = yield* runningWeb
      const held = yield* lockHeldElsewhere
      yield* TestClock.adjust("1 second")
      // A resync takes a fresh list first; its looks answer from memory.
      yield* snapshot.get(yield* Clock.currentTimeMillis)
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "Done")
      const since = (yield* memory.calls).length
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "Done")
      assert.deepStrictEqual((yield* memory.calls).slice(since), [])
      // A task lost out of band: a resync may go by the list from before (drift waits for the next
      // list), an event's look may not: there is work, so the lock is needed.
      const [running] = yield* memory.apps
      yield* memory.seed({ ...running!, tasks: running!.tasks.slice(1) })
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "Done")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* reconciler.reconcile(web))._tag, "LockHeld")
      yield* Scope.close(held, Exit.void)
    }).pipe(Effect.provide(layer)))

  it.effect("after its own writes, a pass reads the instance again even when any state would do: the list from before them is not used", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const { specs, reconciler, snapshot } = yield* runningWeb
      yield* TestClock.adjust("1 second")
      yield* snapshot.get(yield* Clock.currentTimeMillis)
      // An edit planned on the shared list, as the controller plans its edits: the new app is
      // created without a read of its own (a create that met the app would be told by Marathon).
      const edited = yield* (yield* SpecStore).apply(document("web.main", { image: "web.main:2" }))
      specs.set("web.main", edited.instance)
      const since = (yield* memory.calls).length
      const callsSince = Effect.map(memory.calls, (calls) => calls.slice(since).map((call) => call.operation))
      yield* TestClock.adjust("1 second")
      yield* reconciler.reconcile(web, { notBefore: 0 })
      assert.deepStrictEqual(yield* callsSince, ["createApp"])
      // The next pass, asked for any state: the list has no new app, but it is from before the create.
      yield* TestClock.adjust("1 second")
      yield* reconciler.reconcile(web, { notBefore: 0 })
      assert.deepStrictEqual(yield* callsSince, ["createApp", "listApps"], "read again, not created a second time")
      // A list taken after the write serves such passes from memory again.
      yield* TestClock.adjust("1 second")
      yield* snapshot.get(yield* Clock.currentTimeMillis)
      const listed = (yield* memory.calls).length
      yield* reconciler.reconcile(web, { notBefore: 0 })
      assert.strictEqual((yield* memory.calls).length, listed)
      assert.lengthOf(yield* memory.apps, 2)
    }).pipe(Effect.provide(layer)))

  it.effect("a task the watch shows draining, or a record of a task that is gone, is decided under the lock", () =>
    Effect.gen(function*() {
      const memory = yield* MarathonMemory
      const records = new Map<string, ReadonlyMap<string, DrainRecord>>()
      // The test method answers "draining?" from the record alone, without a call.
      const { reconciler, snapshot } = yield* runningWebWith({ drain: { method: "test", params: { delay: 60 } } }, records)
      const held = yield* lockHeldElsewhere
      yield* TestClock.adjust("1 second")
      yield* snapshot.get(yield* Clock.currentTimeMillis)
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "Done")
      const [running] = yield* memory.apps
      const record = (taskId: string) => [taskId, { requestedAt: DateTime.makeUnsafe(0), method: "test", appId: running!.id }] as const
      // One of the new app's tasks draining: it is put back (stopDraining), under the lock.
      records.set("web.main", new Map([record(running!.tasks[0]!.id)]))
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "LockHeld")
      // A record of a task Marathon no longer lists: removed by a pass under the lock.
      records.set("web.main", new Map([record("web.main.gone-task")]))
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "LockHeld")
      records.delete("web.main")
      assert.strictEqual((yield* reconciler.reconcile(web, { notBefore: 0 }))._tag, "Done")
      yield* Scope.close(held, Exit.void)
    }).pipe(Effect.provide(layer)))
})
