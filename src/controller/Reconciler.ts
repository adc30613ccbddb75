// One reconcile pass for one instance — level-triggered and re-entrant (design.md §4): under the
// instance lock (and app-lifecycle shared), re-read the spec, take Marathon's state from the shared
// snapshot, ask the drain method about every task, compute the Plan with the pure planner, carry
// it out, and write status when it changed (fenced). The controller and `mdeploy reconcile` both
// call it; it never throws — every way a pass can end is an Outcome.
import { Clock, DateTime, Effect, Option } from "effect"
import { appIdPrefix } from "../domain/AppIdentity.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus, ReconcileResult } from "../domain/InstanceStatus.ts"
import { resolveSpec } from "../domain/ResolvedSpec.ts"
import { probe } from "../drain/DrainProbe.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { noopDrain } from "../plan/DrainState.ts"
import { observedInstance } from "../plan/Observed.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import * as Plan from "../plan/Plan.ts"
import type { EtcdSession } from "../store/EtcdSession.ts"
import { acquireAppLifecycleShared, acquireInstanceLock } from "../store/Locks.ts"
import { SpecStore } from "../store/SpecStore.ts"
import type { Fence } from "../store/StatusStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import type { CleanupInput } from "./CleanupGuard.ts"
import { cleanupVerdict } from "./CleanupGuard.ts"
import { Executor } from "./Executor.ts"
import type { MarathonSnapshot } from "./MarathonSnapshot.ts"
import type { StateCache } from "./StateCache.ts"
import { nextStatus, progressFromStatus, statusChanged } from "./StatusUpdate.ts"

export interface Outcome {
  readonly result: ReconcileResult
  /** Come back after this long (RequeueAfter, LockHeld); absent when steady or on error. */
  readonly requeueAfterSeconds?: number
  readonly plan?: Plan.Plan
  readonly error?: string
}

export interface ReconcilerDeps {
  readonly snapshot: MarathonSnapshot
  readonly session: EtcdSession
  /** Who acts, written into lock keys: host/pid of the controller or of `mdeploy reconcile`. */
  readonly holder: string
  /** Extra fences every status write must hold (the leader key, for the controller). */
  readonly fences: ReadonlyArray<Fence>
  /** What the cleanup guard needs to know right now. */
  readonly cleanupInput: Effect.Effect<CleanupInput>
  /** The leader's watch-fed copy of specs and statuses; without it every pass reads etcd. */
  readonly cache?: StateCache
}

/** A held lock is usually free again within one pass of its holder. */
export const lockHeldRequeueSeconds = 2
/** Come back to a refused teardown now and then: specs may reappear, or an operator may force. */
export const refusedTeardownRequeueSeconds = 60

const messageOf = (error: unknown): string => {
  const tagged = error as { _tag?: string; message?: string; oneLine?: string; reason?: { _tag?: string } }
  if (typeof tagged.oneLine === "string") return tagged.oneLine
  const tag = tagged._tag ?? "Error"
  const reason = tagged.reason?._tag
  return `${tag}${reason === undefined ? "" : `(${reason})`}: ${tagged.message ?? String(error)}`
}

export const makeReconciler = (deps: ReconcilerDeps) =>
  Effect.gen(function*() {
    const specs = yield* SpecStore
    const statuses = yield* StatusStore
    const executor = yield* Executor
    const marathon = yield* MarathonClient
    const records = yield* DrainRecords
    const readSpec = (name: InstanceName) => {
      const cached = deps.cache?.spec(name)
      return cached === undefined ? specs.get(name) : Effect.succeed(cached)
    }
    const readStatus = (name: InstanceName) => {
      const cached = deps.cache === undefined ? false : deps.cache.status(name)
      return cached === false ? Effect.map(statuses.get(name), Option.getOrUndefined) : Effect.succeed(cached)
    }
    const writeStatus = Effect.fnUntraced(function*(name: InstanceName, status: InstanceStatus, fences: ReadonlyArray<Fence>) {
      const revision = yield* statuses.put(name, status, fences)
      deps.cache?.wroteStatus(name, status, revision)
    })
    const removeStatus = Effect.fnUntraced(function*(name: InstanceName, fences: ReadonlyArray<Fence>) {
      const revision = yield* statuses.remove(name, fences)
      deps.cache?.wroteStatus(name, undefined, revision)
    })

    // Instances whose last create met an app mdeploy did not label: look for it next time.
    const lookForUnmanaged = new Set<string>()

    const pass = Effect.fnUntraced(function*(
      name: InstanceName,
      notBefore: number,
      dryRun: boolean,
      fences: ReadonlyArray<Fence>
    ) {
      const stored = yield* readSpec(name)
      const previous = yield* readStatus(name)
      const view = yield* deps.snapshot.forInstance(name, notBefore)
      let apps: ReadonlyArray<ObservedApp> = view.apps
      if (lookForUnmanaged.has(name)) {
        const all = yield* marathon.listAppsById(appIdPrefix(name))
        apps = [...apps, ...all.filter((app) => !apps.some((known) => known.id === app.id))]
      }
      const observed = observedInstance(name, apps, view.drainingHosts)
      const now = DateTime.toUtc(yield* DateTime.now)

      if (Option.isNone(stored)) {
        if (apps.length === 0) {
          if (!dryRun && previous !== undefined) yield* removeStatus(name, fences)
          return { result: "Done" } satisfies Outcome
        }
        const verdict = cleanupVerdict(yield* deps.cleanupInput)
        if (!verdict.allowed) {
          yield* Effect.logWarning("cleanup refused").pipe(Effect.annotateLogs({ instance: name, reason: verdict.reason }))
          return { result: "RequeueAfter", requeueAfterSeconds: refusedTeardownRequeueSeconds, error: verdict.reason } satisfies Outcome
        }
      }
      const spec = Option.map(stored, (instance) => resolveSpec(name, instance.spec))
      const drain = Option.match(spec, { onNone: () => noopDrain, onSome: (resolved) => resolved.drain })
      const drainState = yield* probe(observed, drain, progressFromStatus(previous))
      const plan = yield* Effect.sync(() => Plan.make(spec, observed, drainState, now)).pipe(
        Effect.withSpan("Plan.make", { attributes: { "mdeploy.instance": name } })
      )
      yield* Effect.annotateCurrentSpan({
        "mdeploy.app_id": plan.appId ?? "",
        "mdeploy.bounce.method": plan.method,
        "mdeploy.actions": plan.actions.length
      })
      if (dryRun) return { result: "Done", plan, ...(plan.requeueAfterSeconds === undefined ? {} : { requeueAfterSeconds: plan.requeueAfterSeconds }) } satisfies Outcome

      const executed = yield* executor.run(plan)
      if (executed.interrupted?.reason === "AlreadyExists") lookForUnmanaged.add(name)
      else lookForUnmanaged.delete(name)
      const requeue = executed.requeueAfterSeconds
      const result: ReconcileResult = requeue === undefined ? "Done" : "RequeueAfter"
      const drainError = executed.drainFailures.length === 0
        ? undefined
        : `${executed.drainFailures.length} drain call(s) failed: ${executed.drainFailures[0]?.message ?? ""}`
      if (Option.isSome(stored)) {
        const span = yield* Effect.currentSpan.pipe(Effect.option)
        const status = nextStatus({
          previous,
          plan,
          generation: stored.value.metadata.generation,
          result,
          error: drainError,
          now,
          traceId: Option.getOrUndefined(Option.map(span, (s) => s.traceId))
        })
        if (statusChanged(previous, status)) yield* writeStatus(name, status, fences)
      } else if (plan.actions.length === 0 && apps.length === 0) {
        if (previous !== undefined) yield* removeStatus(name, fences)
        yield* Effect.forEach([...(yield* records.list(name)).keys()], (taskId) => records.remove(name, taskId), { discard: true })
      }
      return { result, plan, ...(requeue === undefined ? {} : { requeueAfterSeconds: requeue }) } satisfies Outcome
    })

    /** Records a failed pass in status (best effort) so `get`/`describe` show why nothing moves. */
    const recordFailure = Effect.fnUntraced(function*(name: InstanceName, error: string, fences: ReadonlyArray<Fence>) {
      const previous = yield* readStatus(name)
      const stored = yield* readSpec(name)
      if (Option.isNone(stored)) return
      const status: InstanceStatus = nextStatus({
        previous,
        plan: undefined,
        generation: stored.value.metadata.generation,
        result: "Error",
        error,
        now: DateTime.toUtc(yield* DateTime.now),
        traceId: undefined
      })
      if (statusChanged(previous, status)) yield* writeStatus(name, status, fences)
    }, (effect) => Effect.ignore(effect))

    // A root span: one trace per reconcile, not one per leadership term.
    const reconcile = Effect.fn("Reconciler.reconcile", { root: true })(function*(
      name: InstanceName,
      options: { readonly notBefore?: number; readonly dryRun?: boolean } = {}
    ) {
      yield* Effect.annotateCurrentSpan({ "mdeploy.instance": name })
      const notBefore = options.notBefore ?? (yield* Clock.currentTimeMillis)
      const dryRun = options.dryRun === true
      // Status writes hold while the leader key (controller) and this pass's lock both do.
      const guarded = dryRun
        ? pass(name, notBefore, true, deps.fences)
        : Effect.gen(function*() {
          const lock = yield* acquireInstanceLock(name, deps.holder, deps.session)
          const fences = [...deps.fences, lock]
          yield* acquireAppLifecycleShared(deps.holder, deps.session)
          // A failed pass is recorded in status while the lock is still ours.
          return yield* pass(name, notBefore, false, fences).pipe(
            Effect.tapError((error) => recordFailure(name, messageOf(error), fences))
          )
        }).pipe(Effect.scoped)
      const outcome: Outcome = yield* guarded.pipe(
        Effect.catchTag("LockHeldError", (error) =>
          Effect.succeed<Outcome>({ result: "LockHeld", requeueAfterSeconds: lockHeldRequeueSeconds, error: `lock held by ${error.holder}` })),
        Effect.catch((error) => Effect.succeed<Outcome>({ result: "Error", error: messageOf(error) }))
      )
      yield* Effect.annotateCurrentSpan({ "mdeploy.result": outcome.result })
      return outcome
    })

    return { reconcile }
  })

export type Reconciler = Effect.Success<ReturnType<typeof makeReconciler>>
