// One reconcile pass for one instance — level-triggered and re-entrant (design.md §4): under the
// instance lock, read the spec, take Marathon's state from the shared snapshot, ask the drain
// method about every task, compute the Plan with the pure planner, carry it out, and write status
// when it changed (fenced). The controller and `mdeploy reconcile` both call it; it never throws —
// every way a pass can end is an Outcome.
//
// Safety (design.md §11): a spec that cannot be decoded is never taken for a deleted one (phase
// Invalid, nothing touched); only this installation's apps are seen; anything beyond a create is
// planned again on a fresh read of the instance; a tear-down needs the deletion budget and holds
// app-lifecycle exclusively (a create holds it shared); every write goes through the lease gate.
import { Clock, Context, DateTime, Effect, Layer } from "effect"
import { revisionAnnotation, sourceAnnotation } from "../domain/GitSource.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import type { DrainMethods } from "../drain/DrainMethods.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import type { ObservedInstance } from "../plan/Observed.ts"
import type { Plan } from "../plan/Plan.ts"
import type { EtcdSession } from "../store/EtcdSession.ts"
import { passEvents } from "../events/PassEvents.ts"
import type { InstanceLocks } from "../store/Locks.ts"
import { Locks, scopeReleased } from "../store/Locks.ts"
import type { Fence } from "../store/StatusStore.ts"
import type { BudgetConfig } from "../cleanup/DeletionBudget.ts"
import { defaultBudget } from "../cleanup/DeletionBudget.ts"
import type { CleanupLedger } from "../cleanup/CleanupLedger.ts"
import type { CleanupInput } from "./CleanupGuard.ts"
import { cleanupVerdict } from "./CleanupGuard.ts"
import { Executor } from "./Executor.ts"
import type { MarathonSnapshot } from "./MarathonSnapshot.ts"
import type { Rollouts } from "./Rollouts.ts"
import { nextStatus, statusChanged } from "./StatusUpdate.ts"
import { admitTeardown, finishTeardown } from "./TeardownAdmission.ts"
import { defaultMinSpareMs, leaseGate } from "./WriteGate.ts"
import type { Outcome } from "./Outcome.ts"
import type { PassEndInput } from "./PassEnd.ts"
import { passEnd } from "./PassEnd.ts"
import type { Desired } from "./DesiredState.ts"
import { makeDesiredReader } from "./DesiredState.ts"
import { makeInstanceObserver } from "./InstanceObserver.ts"
import { makePassRecords } from "./PassRecords.ts"
import { resultOf } from "./Outcome.ts"
import type { Peeked, WatchedState } from "./LockFreeLook.ts"
import { makeLockFreeLook } from "./LockFreeLook.ts"

export interface ReconcilerDeps {
  readonly snapshot: MarathonSnapshot
  readonly session: EtcdSession
  /** Who acts, written into lock keys: host/pid of the controller or of `mdeploy reconcile`. */
  readonly holder: string
  /** Extra fences every status write must hold (the leader key, for the controller). */
  readonly fences: ReadonlyArray<Fence>
  /** What the cleanup guard and the deletion budget need to know right now. */
  readonly cleanupInput: Effect.Effect<CleanupInput>
  /** The deletion budget (window, fraction, --force); the defaults of design.md §11 when absent. */
  readonly budget?: BudgetConfig
  /**
   * Look before locking: the watch-fed cache the stores answer from (the controller's, see
   * CachedStores.ts), so a lock-free look costs no etcd request and an idle pass ends there.
   */
  readonly watched?: WatchedState
  /** The leader's rollout bookkeeping (deploy metrics); absent for `mdeploy reconcile`. */
  readonly rollouts?: Rollouts
}

/** A held lock is usually free again within one pass of its holder. */
export const lockHeldRequeueSeconds = 2
/** Come back to a refused tear-down now and then: specs may reappear, or an operator may approve. */
export const refusedTeardownRequeueSeconds = 15
/** How long a tear-down waits for creates in flight before it gives up its turn. */
const exclusiveWaitMs = 3_000

const messageOf = (error: unknown): string => {
  const tagged = error as { _tag?: string; message?: string; oneLine?: string; reason?: { _tag?: string } }
  if (typeof tagged.oneLine === "string") return tagged.oneLine
  const tag = tagged._tag ?? "Error"
  const reason = tagged.reason?._tag
  return `${tag}${reason === undefined ? "" : `(${reason})`}: ${tagged.message ?? String(error)}`
}

/** Whether a plan does anything but create apps: that is decided on a fresh read of the instance. */
const beyondCreate = (plan: Plan) => plan.actions.some((action) => action.type !== "createApp")
const creates = (plan: Plan) => plan.actions.some((action) => action.type === "createApp")
const onlyCreates = (plan: Plan) => plan.actions.length > 0 && !beyondCreate(plan)

export const makeReconciler = (deps: ReconcilerDeps) =>
  Effect.gen(function*() {
    const executor = yield* Executor
    const records = yield* DrainRecords
    const locks = yield* Locks
    const budget = deps.budget ?? defaultBudget
    // The spare is one Marathon round trip, but never more than a quarter of the renew deadline
    // (2/3 TTL): with a short lease the keep-alives (every TTL/3) would otherwise close the gate
    // for most of each renewal period.
    const gate = leaseGate(deps.session.remainingMs, Math.min(defaultMinSpareMs, (deps.session.ttlSeconds * 1000) / 6))

    const desiredReader = yield* makeDesiredReader
    const readDesired = desiredReader.read
    const { readStatus, writeStatus, removeStatus, traceId, tell, markUnreadable, recordFailure } = yield* makePassRecords(
      deps.rollouts,
      readDesired
    )
    const observer = yield* makeInstanceObserver(deps.snapshot)
    const { planFor, observeAndPlan, createMetUnmanaged, placement } = observer
    // Only the controller (watch-fed caches) looks first: without them the look itself reads etcd.
    const look = deps.watched === undefined
      ? undefined
      : makeLockFreeLook({ watched: deps.watched, desired: desiredReader, readStatus, observer })

    const pass = Effect.fnUntraced(function*(
      name: InstanceName,
      notBefore: number,
      dryRun: boolean,
      fences: ReadonlyArray<Fence>,
      peeked?: Peeked,
      held?: InstanceLocks
    ) {
      const desired = yield* readDesired(name)
      const previous = yield* readStatus(name)
      if (desired._tag === "Unreadable") return yield* markUnreadable(name, desired.message, previous, fences, dryRun)
      // A pin to a shard that is not current: say so, and touch none of its apps anywhere.
      const placed = placement(name, desired)
      if (placed?._tag === "Invalid") return yield* markUnreadable(name, placed.message, previous, fences, dryRun)
      const tearDown = desired._tag === "Deleted"

      // What the lock-free look saw of Marathon stands while spec and status are what it read (same
      // objects from the caches): Marathon is not asked twice for one pass. The drain records it
      // planned with came from the watch, so the plan is made again on a fresh read of them.
      const unchanged = peeked !== undefined && desired._tag === "Spec" && peeked.stored === desired.stored && peeked.previous === previous
      // A read of Marathon that started after the lock was taken is fresh enough for any action
      // (an edit's pass reads its own instance then): it is not read a second time below.
      const lockedAt = yield* Clock.currentTimeMillis
      // A pass expected to create plans on the watch's drain records, as a look does: a create
      // kills nothing. A plan that does anything else is made again on records read now.
      const watchedRecords = held?.shared === undefined ? undefined : deps.watched?.drainRecords(name)
      const first = !unchanged
        ? yield* observeAndPlan(name, desired, previous, notBefore, watchedRecords)
        : beyondCreate(peeked.seen.plan)
        // Read again below anyway: the look's plan only chooses the locks.
        ? { ...peeked.seen, readAt: Number.NEGATIVE_INFINITY }
        : {
          observed: peeked.seen.observed,
          readAt: Number.NEGATIVE_INFINITY,
          ...(yield* planFor(peeked.seen.observed, desired, previous, watchedRecords))
        }
      const readUnderLock = first.readAt >= lockedAt
      let { observed, plan, now } = first
      // (A plan beyond create on a read from before the lock is read again whole below.)
      if (watchedRecords !== undefined && !onlyCreates(plan) && (readUnderLock || !beyondCreate(plan))) {
        ;({ plan, now } = yield* planFor(observed, desired, previous))
      }
      yield* Effect.annotateCurrentSpan({
        "mdeploy.app_id": plan.appId ?? "",
        "mdeploy.bounce.method": plan.method,
        "mdeploy.actions": plan.actions.length
      })
      // No spec and no app: nothing is left of the instance (no plan: `reconcile` says "not found").
      if (tearDown && observed.apps.length === 0 && plan.actions.length === 0) {
        if (!dryRun && previous !== undefined) {
          yield* finishTeardown(name)
          yield* removeStatus(name, fences)
        }
        if (!dryRun) {
          yield* Effect.forEach([...(yield* records.list(name)).keys()], (taskId) => records.remove(name, taskId), { discard: true })
        }
        return { _tag: "Done" } satisfies Outcome
      }
      if (dryRun) return { _tag: "Done", plan } satisfies Outcome

      let refusal: string | undefined
      if (plan.actions.length > 0) {
        // Creates and tear-downs never interleave (PaaSTA's second lock, against cleanup).
        let shared = held?.shared !== undefined
        if (tearDown) {
          // A reader taken with the instance lock on the chance of a create would hold the
          // tear-down up behind itself.
          if (held !== undefined) yield* held.releaseShared
          shared = false
          yield* locks.appLifecycleExclusive(deps.holder, deps.session, exclusiveWaitMs)
        } else if (creates(plan) && !shared) {
          yield* locks.appLifecycleShared(deps.holder, deps.session)
          shared = true
        }
        // Anything beyond a create is decided on Marathon as read after the lock was taken, not on
        // a list or a look from before it: this instance is read alone now, unless it just was.
        if (!readUnderLock && beyondCreate(plan)) {
          ;({ observed, plan, now } = yield* observeAndPlan(name, desired, previous, yield* Clock.currentTimeMillis))
          // The fresh read may call for a create the first plan did not have.
          if (!tearDown && !shared && creates(plan)) yield* locks.appLifecycleShared(deps.holder, deps.session)
        }
        if (tearDown && plan.actions.length > 0) {
          const input = yield* deps.cleanupInput
          const verdict = cleanupVerdict(input)
          refusal = verdict.allowed ? yield* admitTeardown(name, input, budget) : verdict.reason
        }
      }

      if (refusal !== undefined) {
        yield* Effect.logWarning("tear-down refused").pipe(Effect.annotateLogs({ instance: name, reason: refusal }))
        const status: InstanceStatus = {
          ...nextStatus({
            previous,
            plan: undefined,
            generation: previous?.observedGeneration ?? 0,
            result: "RequeueAfter",
            error: refusal,
            now,
            traceId: yield* traceId
          }),
          phase: "CleanupRefused",
          summary: `spec deleted; apps kept: ${refusal}`
        }
        if (statusChanged(previous, status)) yield* writeStatus(name, previous, status, fences)
        yield* tell(name, passEvents({ previous, next: status, done: [], drainMethod: plan.drain.method }))
        return {
          _tag: "RequeueAfter",
          seconds: refusedTeardownRequeueSeconds,
          reason: "tear-down refused",
          plan,
          problem: refusal
        } satisfies Outcome
      }

      // Whatever came of them (a write can take effect and still fail here), the next view of the
      // instance is read after these writes.
      const executed = yield* executor.run(plan, gate).pipe(
        Effect.ensuring(
          plan.actions.length === 0 ? Effect.void : Effect.map(Clock.currentTimeMillis, (at) => deps.snapshot.written(name, at))
        )
      )
      createMetUnmanaged(name, executed.interrupted?.reason === "AlreadyExists")
      const settled = yield* settle(desired, previous, plan, observed, now, executed)
      if (statusChanged(previous, settled.status)) {
        // The pass's last write under its locks: they are given back in the same transaction.
        const giveBack = held?.keysToGiveBack() ?? []
        yield* writeStatus(name, previous, settled.status, fences, giveBack)
        if (giveBack.length > 0) yield* held!.givenBack
      }
      yield* tell(
        name,
        passEvents({ previous, next: settled.status, done: plan.actions.slice(0, executed.completed), drainMethod: plan.drain.method }),
        desired
      )
      return settled.outcome
    })

    /** The status a pass leaves and how it ends, once its plan has been carried out (or had nothing to do). */
    const settle = Effect.fnUntraced(function*(
      desired: Desired,
      previous: InstanceStatus | undefined,
      plan: Plan,
      observed: ObservedInstance,
      now: DateTime.Utc,
      executed: PassEndInput["executed"]
    ) {
      const generation = desired._tag === "Spec" ? desired.stored.metadata.generation : previous?.observedGeneration ?? 0
      const ended = passEnd({
        previous,
        plan,
        observed,
        generation,
        drain: desired._tag === "Spec" ? desired.stored.spec.drain : previous?.drain,
        executed,
        now,
        traceId: yield* traceId
      })
      // What the pass settled on, on its root span: rollouts are built from these (src/rollouts/).
      // A tear-down rolls nothing out: it carries no generation, so it adds to no rollout.
      if (desired._tag === "Spec") {
        const source = desired.stored.metadata.annotations?.[sourceAnnotation]
        const revision = desired.stored.metadata.annotations?.[revisionAnnotation]
        yield* Effect.annotateCurrentSpan({
          "mdeploy.generation": generation,
          "mdeploy.phase": ended.status.phase ?? "",
          "mdeploy.draining": plan.tasks.draining,
          ...(source === undefined ? {} : { "mdeploy.source": source }),
          ...(revision === undefined ? {} : { "mdeploy.revision": revision })
        })
      }
      return ended
    })

    const leaderFence = deps.fences[0]
    // A root span: one trace per pass that may act, not one per leadership term.
    const tracedPass = Effect.fn("Reconciler.reconcile", { root: true })(function*(
      name: InstanceName,
      notBefore: number,
      dryRun: boolean,
      peeked: Peeked | undefined,
      mayCreate: boolean
    ) {
      yield* Effect.annotateCurrentSpan({ "mdeploy.instance": name })
      // The leader key this pass runs under: its rollout is recorded only while that key holds.
      if (leaderFence !== undefined) {
        yield* Effect.annotateCurrentSpan({ "mdeploy.fence.key": leaderFence.key, "mdeploy.fence.revision": leaderFence.createRevision })
      }
      // Status writes hold while the leader key (controller) and this pass's lock both do.
      const guarded = dryRun
        ? pass(name, notBefore, true, deps.fences).pipe(Effect.scoped)
        : Effect.gen(function*() {
          // A pass that will likely create takes its app-lifecycle reader in the same transaction.
          const held: InstanceLocks = mayCreate
            ? yield* locks.instanceForCreate(name, deps.holder, deps.session)
            : scopeReleased(yield* locks.instance(name, deps.holder, deps.session))
          const fences = [...deps.fences, held.instance]
          // A failed pass is recorded in status while the lock is still ours.
          return yield* pass(name, notBefore, false, fences, peeked, held).pipe(
            Effect.tapError((error) => recordFailure(name, messageOf(error), fences))
          )
        }).pipe(Effect.scoped)
      type PassError = Exclude<Effect.Error<typeof guarded>, { readonly _tag: "LockHeldError" }>
      const outcome: Outcome<PassError> = yield* guarded.pipe(
        Effect.catchTag("LockHeldError", (error) =>
          Effect.succeed<Outcome<PassError>>({ _tag: "LockHeld", holder: error.holder, seconds: lockHeldRequeueSeconds })),
        // Every other failure is worth a retry with backoff: Marathon, etcd, an untrusted answer,
        // a write the lease gate refused. Only an unusable spec is terminal (above).
        Effect.catch((error) =>
          Effect.succeed<Outcome<PassError>>({ _tag: "Failed", terminal: false, error, message: messageOf(error) })
        )
      )
      yield* Effect.annotateCurrentSpan({ "mdeploy.result": resultOf(outcome) })
      return outcome
    })

    const reconcile = Effect.fnUntraced(function*(
      name: InstanceName,
      options: ReconcileOptions = {}
    ) {
      const notBefore = options.notBefore ?? (yield* Clock.currentTimeMillis)
      const dryRun = options.dryRun === true
      if (dryRun || look === undefined) return yield* tracedPass(name, notBefore, dryRun, undefined, false)
      const looked = yield* look.look(name, notBefore)
      if (looked._tag === "Idle") return looked.outcome
      return yield* tracedPass(name, notBefore, false, looked.peeked, looked.mayCreate)
    })

    const lookNow = (name: InstanceName, notBefore: number): Outcome<never> | undefined => look?.lookNow(name, notBefore)

    return { reconcile, lookNow }
  })

export interface ReconcileOptions {
  /** Marathon's state must be from after this instant (epoch ms): an event or edit asked for it. */
  readonly notBefore?: number
  /** Plan and report, change nothing. */
  readonly dryRun?: boolean
}

/**
 * The pass as a service: the controller's workers need nothing else, so their handling of each
 * outcome (requeue, backoff, forget, terminal) is tested with a scripted stand-in.
 */
export class Reconciler extends Context.Service<Reconciler, {
  readonly reconcile: (name: InstanceName, options?: ReconcileOptions) => Effect.Effect<Outcome>
  /**
   * The outcome of a pass over an idle instance, when a lock-free look can tell from memory
   * alone, without a fiber (a resync settles such keys without the queue); undefined otherwise:
   * then only `reconcile` can tell.
   */
  readonly lookNow: (name: InstanceName, notBefore: number) => Outcome | undefined
}>()("mdeploy/controller/Reconciler") {
  /** The service over a fresh reconciler; the drain methods, records and ledger a pass uses are the maker's. */
  static readonly make = (deps: ReconcilerDeps) =>
    Effect.gen(function*() {
      const made = yield* makeReconciler(deps)
      const context = yield* Effect.context<CleanupLedger | DrainMethods | DrainRecords>()
      return Reconciler.of({
        reconcile: (name, options) => Effect.provideContext(made.reconcile(name, options), context),
        lookNow: made.lookNow
      })
    })

  static readonly layer = (deps: ReconcilerDeps) => Layer.effect(Reconciler, Reconciler.make(deps))
}
