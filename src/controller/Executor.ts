// Carries out a Plan: the only place where plan actions become Marathon and drain-backend calls
// (style.md §5.3). Actions run in plan order, one span each. A create answered "already exists"
// (another actor won the race, §1.8.1 step 4) or a DeploymentLocked answer stops the pass and
// becomes a requeue, not an error. Drain failures follow spec.drain.onError. Decides nothing else.
//
// Safety (design.md §11): every app it creates carries this installation's MDEPLOY_OWNER; every
// kill, scale and delete is preceded by a fresh read of that app which must confirm the plan (ours,
// a plausible answer, no task the plan did not mean to kill); every Marathon write first asks the
// write gate, which refuses once leadership is in doubt and bounds the write by the time to spare.
import { Context, DateTime, Duration, Effect, Layer } from "effect"
import { owns, withOwner } from "../domain/Ownership.ts"
import type { DrainMethod } from "../drain/DrainMethod.ts"
import { DrainMethods } from "../drain/DrainMethods.ts"
import type { DrainRecordsError } from "../drain/DrainRecords.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import { countdownSeconds } from "../drain/DelayCountdown.ts"
import type { MarathonClient } from "../marathon/MarathonClient.ts"
import type { MarathonError } from "../marathon/MarathonError.ts"
import { MarathonShards } from "../marathon/MarathonShards.ts"
import type { Action, TaskRef } from "../plan/Action.ts"
import { goingAway } from "../plan/Observed.ts"
import type { Plan } from "../plan/Plan.ts"
import { recordUntrustedAnswer } from "../telemetry/ControllerMetrics.ts"
import type { DrainFailure, ExecutionResult, Interruption } from "./ExecutionResult.ts"
import { requeueFor } from "./ExecutionResult.ts"
import { Owner } from "./Owner.ts"
import { appAnswerProblem } from "./Plausibility.ts"
import type { WriteGate } from "./WriteGate.ts"
import { openGate } from "./WriteGate.ts"
import type { WriteRefused } from "./WriteGate.ts"

export class Executor extends Context.Service<Executor, {
  /** Runs the plan's actions in order; Marathon errors other than 409s fail the pass. */
  readonly run: (plan: Plan, gate?: WriteGate) => Effect.Effect<ExecutionResult, MarathonError | DrainRecordsError | WriteRefused>
}>()("mdeploy/controller/Executor") {
  static readonly layerNoDeps = Layer.effect(
    Executor,
    Effect.gen(function*() {
      const shards = yield* MarathonShards
      const methods = yield* DrainMethods
      const records = yield* DrainRecords
      const ownership = yield* Owner
      return Executor.of({ run: (plan, gate) => run(plan, { shards, methods, records, ownership, gate: gate ?? openGate }) })
    })
  )

  /** Needs MarathonShards, DrainMethods, DrainRecords and Owner. */
  static readonly layer = Executor.layerNoDeps
}

interface Deps {
  readonly shards: MarathonShards["Service"]
  readonly methods: DrainMethods["Service"]
  readonly records: DrainRecords["Service"]
  readonly ownership: Owner["Service"]
  readonly gate: WriteGate
}

/** A Marathon write, started only while the gate allows and bounded by the time it has to spare. */
const gated = <A, E, R>(deps: Deps, plan: Plan, what: string, write: Effect.Effect<A, E, R>): Effect.Effect<A, E | WriteRefused, R> =>
  Effect.flatMap(deps.gate.check, (spareMs) =>
    spareMs === undefined ? write : Effect.timeoutOrElse(write, {
      duration: Duration.millis(spareMs),
      orElse: () => deps.gate.refuse(`the write to Marathon did not finish within the ${spareMs} ms leadership had to spare`)
    })).pipe(
      // Every Marathon write an operator may want to find later, one line each (design.md §8).
      Effect.tap(() => Effect.logInfo("marathon write").pipe(Effect.annotateLogs({ instance: plan.name, write: what })))
    )

/**
 * The client of the shard an action is about. Plans name only shards the snapshot listed, so an
 * unknown one is a defect, never a reason to send the write to some other Marathon.
 */
const marathonOf = (deps: Deps, shard: string | undefined): MarathonClient["Service"] => {
  const client = deps.shards.client(shard)
  if (client === undefined) throw new Error(`no Marathon client for shard ${shard ?? "default"}`)
  return client
}

/**
 * Reads the app again (on its own shard) and checks that it is ours and that Marathon's answer is
 * plausible; the reason it is not, or "gone" when Marathon no longer has it.
 */
const confirmApp = (deps: Deps, shard: string | undefined, appId: string) =>
  Effect.suspend(() => marathonOf(deps, shard).getApp(appId)).pipe(
    Effect.map((app) => {
      if (!owns(deps.ownership, app.labels)) return { problem: `${appId} is not this installation's app` } as const
      const implausible = appAnswerProblem(app)
      if (implausible !== undefined) return { problem: implausible.message } as const
      return { app } as const
    }),
    Effect.catchReason("MarathonError", "AppNotFound", () => Effect.succeed({ gone: true } as const))
  )

/**
 * The tasks of a kill that a fresh read of their apps confirms: apps that are ours and answered
 * plausibly; tasks Marathon no longer lists, or already lists as going away, are left out.
 */
const confirmTasks = (deps: Deps, action: Action, tasks: ReadonlyArray<TaskRef>) =>
  Effect.gen(function*() {
    const kept: Array<TaskRef> = []
    // An app is (shard, id): while an instance moves, one id may live on two shards.
    const apps = new Map(tasks.map((task) => [`${task.shard ?? ""} ${task.appId}`, task]))
    for (const { appId, shard } of apps.values()) {
      const found = yield* confirmApp(deps, shard, appId)
      if ("gone" in found) continue
      if ("problem" in found) return (yield* unconfirmed(action, appId, found.problem)) as { readonly interrupted: Interruption }
      const live = new Set(found.app.tasks.filter((task) => !goingAway.has(task.state)).map((task) => task.id))
      for (const task of tasks) if (task.appId === appId && task.shard === shard && live.has(task.id)) kept.push(task)
    }
    return { tasks: kept }
  })

/** One kill-and-scale per shard, each sent to the Marathon that runs those tasks. */
const killOnShards = (deps: Deps, plan: Plan, tasks: ReadonlyArray<TaskRef>) =>
  Effect.forEach(
    [...new Set(tasks.map((task) => task.shard))],
    (shard) => {
      const ids = tasks.filter((task) => task.shard === shard).map((task) => task.id)
      const where = shard === undefined ? "" : ` on shard ${shard}`
      return gated(deps, plan, `kill ${ids.join(",")}${where}`, Effect.suspend(() => marathonOf(deps, shard).killTasks(ids)))
    },
    { discard: true }
  )

const unconfirmed = (action: Action, appId: string | undefined, message: string) =>
  recordUntrustedAnswer("unconfirmed").pipe(
    Effect.andThen(
      Effect.logWarning("destructive action not confirmed by a fresh read; retrying").pipe(
        Effect.annotateLogs({ action: action.type, appId: appId ?? "", detail: message })
      )
    ),
    Effect.as<Step>({ interrupted: { action: action.type, reason: "Unconfirmed", appId, message } })
  )

type Step = {
  readonly interrupted?: Interruption
  readonly failures?: ReadonlyArray<DrainFailure>
  readonly killed?: ReadonlyArray<string>
}

const attributes = (plan: Plan, action: Action) => ({
  "mdeploy.instance": plan.name,
  "mdeploy.action": action.type,
  "mdeploy.app_id": "appId" in action ? action.appId : [...new Set(action.tasks.map((task) => task.appId))].join(","),
  ...("tasks" in action ? { "mdeploy.task_count": action.tasks.length } : {}),
  ...(action.type === "scaleApp" ? { "mdeploy.instances": action.instances } : {})
})

const createApp = Effect.fn("Executor.createApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "createApp" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  const result = yield* gated(
    deps,
    plan,
    `create ${action.appId}`,
    Effect.suspend(() => marathonOf(deps, action.shard).createApp(withOwner(action.definition, deps.ownership.owner)))
  )
  if (result === "AlreadyExists") {
    // Our own earlier create (a retried request, a pass cut short) is adopted, not retried blindly;
    // an app of that id that is not ours is never touched.
    const found = yield* confirmApp(deps, action.shard, action.appId)
    if ("app" in found) {
      yield* Effect.logInfo(`${plan.name}: ${action.appId} already exists and is ours; adopting it`)
      return { interrupted: { action: action.type, reason: "Adopted", appId: action.appId } } satisfies Step
    }
    const message = "gone" in found ? `${action.appId} existed a moment ago` : found.problem
    yield* Effect.logWarning(`${plan.name}: ${action.appId} already exists and is not ours; retrying later`).pipe(
      Effect.annotateLogs({ detail: message })
    )
    return { interrupted: { action: action.type, reason: "AlreadyExists", appId: action.appId, message } } satisfies Step
  }
  return {} satisfies Step
})

const scaleApp = Effect.fn("Executor.scaleApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "scaleApp" }>) {
  yield* Effect.annotateCurrentSpan({ ...attributes(plan, action), "mdeploy.scale.reason": action.reason })
  // A scale-up starts tasks and stops none; the pass planned it on its own fresh read of this
  // instance, which saw the app as ours, so it is not read a third time. Taking slots away
  // ("slack") is confirmed first, like every other removal.
  if (action.reason === "slack") {
    const found = yield* confirmApp(deps, action.shard, action.appId)
    if ("gone" in found) return {} satisfies Step
    if ("problem" in found) return yield* unconfirmed(action, action.appId, found.problem)
  }
  yield* gated(
    deps,
    plan,
    `scale ${action.appId} to ${action.instances}`,
    marathonOf(deps, action.shard).scaleApp(action.appId, action.instances)
  )
  return {} satisfies Step
})

const drainTasks = Effect.fn("Executor.drainTasks")(
  function*(deps: Deps, plan: Plan, method: DrainMethod, action: Extract<Action, { type: "drainTasks" }>) {
    yield* Effect.annotateCurrentSpan(attributes(plan, action))
    const known = yield* deps.records.list(plan.name)
    const now = yield* DateTime.now
    const failed: Array<DrainFailure> = []
    const drained: Array<TaskRef> = []
    yield* Effect.forEach(action.tasks, (task) =>
      method.drain(task).pipe(
        Effect.andThen(Effect.sync(() => drained.push(task))),
        Effect.catchTag("DrainError", (error) =>
          Effect.sync(() => failed.push({ taskId: task.id, operation: "drain", message: error.message })))
      ), { concurrency: 16, discard: true })
    // The record is written only once the backend accepted the drain; noop has nothing to remember.
    // The delay's countdown on the store's clock first: a record without one would never get it.
    const recorded = method.name === "noop" ? [] : drained.filter((task) => !known.has(task.id))
    const countdown = countdownSeconds(plan.drain)
    if (countdown !== undefined) yield* deps.records.startDelay(plan.name, recorded.map((task) => task.id), countdown)
    yield* Effect.forEach(
      recorded,
      (task) => deps.records.put(plan.name, task.id, { requestedAt: now, method: method.name, appId: task.appId }),
      { concurrency: 16, discard: true }
    )
    if (failed.length === 0) return {} satisfies Step
    yield* Effect.annotateCurrentSpan({ "mdeploy.drain.failures": failed.length })
    if (plan.drain.onError !== "kill") return { failures: failed } satisfies Step
    // PaaSTA's choice, when asked for: a task that cannot be drained is killed right away.
    const confirmed = yield* confirmTasks(deps, action, action.tasks.filter((task) => failed.some((failure) => failure.taskId === task.id)))
    if ("interrupted" in confirmed) return { ...confirmed, failures: failed } satisfies Step
    yield* killOnShards(deps, plan, confirmed.tasks)
    return { failures: failed, killed: confirmed.tasks.map((task) => task.id) } satisfies Step
  }
)

const stopDraining = Effect.fn("Executor.stopDraining")(
  function*(deps: Deps, plan: Plan, method: DrainMethod, action: Extract<Action, { type: "stopDraining" }>) {
    yield* Effect.annotateCurrentSpan(attributes(plan, action))
    const failed: Array<DrainFailure> = []
    // Failures are reported and left for the next pass (the record stays, so it is retried).
    yield* Effect.forEach(action.tasks, (task) =>
      method.stopDraining(task).pipe(
        Effect.andThen(deps.records.remove(plan.name, task.id)),
        Effect.catchTag("DrainError", (error) =>
          Effect.sync(() => failed.push({ taskId: task.id, operation: "stopDraining", message: error.message })))
      ), { concurrency: 16, discard: true })
    return { failures: failed } satisfies Step
  }
)

const killTasks = Effect.fn("Executor.killTasks")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "killTasks" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  // The countdowns are read beside the fresh read of the apps: the kill waits for the slower one only.
  const [counting, confirmed] = yield* Effect.all([deps.records.delaysRunning(plan.name), confirmTasks(deps, action, action.tasks)], {
    concurrency: 2
  })
  if ("interrupted" in confirmed) return confirmed
  // A drain delay still counting down on the store's clock: the plan's "safe to kill" came from a
  // wall clock (this host's, or the drain's maker's) that is ahead of it.
  const early = confirmed.tasks.filter((task) => counting.has(task.id))
  if (early.length > 0) {
    yield* Effect.logWarning("kill held back: drain delay not over on etcd's clock").pipe(
      Effect.annotateLogs({ instance: plan.name, tasks: early.map((task) => task.id).join(",") })
    )
    return {
      interrupted: {
        action: action.type,
        reason: "DelayCounting",
        appId: early[0]!.appId,
        message: `kill of ${early.length} task(s) held back: their drain delay is not over on etcd's clock (a wall clock is ahead)`
      }
    } satisfies Step
  }
  yield* killOnShards(deps, plan, confirmed.tasks)
  yield* Effect.forEach(action.tasks, (task) => deps.records.remove(plan.name, task.id), { concurrency: 16, discard: true })
  return {} satisfies Step
})

const deleteApp = Effect.fn("Executor.deleteApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "deleteApp" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  const found = yield* confirmApp(deps, action.shard, action.appId)
  if ("gone" in found) return {} satisfies Step
  if ("problem" in found) return yield* unconfirmed(action, action.appId, found.problem)
  // The plan deletes an app once every task of it is being killed; a task it did not see means the
  // observation it planned on was wrong.
  const meantToKill = new Set(plan.actions.flatMap((other) => other.type === "killTasks" ? other.tasks.map((task) => task.id) : []))
  const unseen = found.app.tasks.filter((task) => !goingAway.has(task.state) && !meantToKill.has(task.id))
  if (unseen.length > 0) {
    return yield* unconfirmed(
      action,
      action.appId,
      `${action.appId} still has ${unseen.length} task(s) the plan did not mean to kill (${unseen[0]?.id ?? ""})`
    )
  }
  yield* gated(deps, plan, `delete ${action.appId}`, marathonOf(deps, action.shard).deleteApp(action.appId))
  return {} satisfies Step
})

const run = Effect.fn("Executor.run")(
  function*(plan: Plan, deps: Deps): Effect.fn.Return<ExecutionResult, MarathonError | DrainRecordsError | WriteRefused> {
    yield* Effect.annotateCurrentSpan({
      "mdeploy.instance": plan.name,
      "mdeploy.app_id": plan.appId ?? "",
      "mdeploy.bounce.method": plan.method,
      "mdeploy.actions": plan.actions.length
    })
    const method = deps.methods.forInstance(plan.name, plan.drain)
    const failures: Array<DrainFailure> = []
    const killed: Array<string> = []
    let completed = 0
    for (const action of plan.actions) {
      const step: Step = yield* Effect.suspend((): Effect.Effect<Step, MarathonError | DrainRecordsError | WriteRefused> => {
        switch (action.type) {
          case "createApp":
            return createApp(deps, plan, action)
          case "scaleApp":
            return scaleApp(deps, plan, action)
          case "drainTasks":
            return drainTasks(deps, plan, method, action)
          case "stopDraining":
            return stopDraining(deps, plan, method, action)
          case "killTasks":
            return killTasks(deps, plan, action)
          case "deleteApp":
            return deleteApp(deps, plan, action)
        }
      }).pipe(
        // 409 "locked by a deployment": the app is busy; stop here and come back soon.
        Effect.catchReason("MarathonError", "DeploymentLocked", () =>
          Effect.succeed<Step>({
            interrupted: { action: action.type, reason: "DeploymentLocked", appId: "appId" in action ? action.appId : undefined }
          }))
      )
      failures.push(...(step.failures ?? []))
      killed.push(...(step.killed ?? []))
      if (step.interrupted !== undefined) {
        yield* Effect.annotateCurrentSpan({ "mdeploy.result": "requeue_after", "mdeploy.interrupted_by": step.interrupted.reason })
        return {
          requeueAfterSeconds: requeueFor(step.interrupted),
          interrupted: step.interrupted,
          completed,
          drainFailures: failures,
          killedOnDrainError: killed
        } satisfies ExecutionResult
      }
      completed += 1
    }
    return {
      requeueAfterSeconds: plan.requeueAfterSeconds,
      interrupted: undefined,
      completed,
      drainFailures: failures,
      killedOnDrainError: killed
    } satisfies ExecutionResult
  }
)
