// Carries out a Plan: the only place where plan actions become Marathon and drain-backend calls
// (style.md §5.3). Actions run in plan order, one span each. A create answered "already exists"
// (another actor won the race, §1.8.1 step 4) or a DeploymentLocked answer stops the pass and
// becomes a requeue, not an error. Drain failures follow spec.drain.onError. Decides nothing else.
import { Context, DateTime, Effect, Layer } from "effect"
import type { DrainMethod } from "../drain/DrainMethod.ts"
import { DrainMethods } from "../drain/DrainMethods.ts"
import type { DrainRecordsError } from "../drain/DrainRecords.ts"
import { DrainRecords } from "../drain/DrainRecords.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import type { MarathonError } from "../marathon/MarathonError.ts"
import type { Action, ActionType, TaskRef } from "../plan/Action.ts"
import type { Plan } from "../plan/Plan.ts"
import { bounceAgainSeconds } from "../plan/Plan.ts"

/** A locked app is usually free again within seconds (the deployment finishes or is replaced). */
export const lockedRequeueSeconds = 15

export interface Interruption {
  readonly action: ActionType
  readonly reason: "AlreadyExists" | "DeploymentLocked"
  readonly appId: string | undefined
}

export interface DrainFailure {
  readonly taskId: string
  readonly operation: "drain" | "stopDraining"
  readonly message: string
}

export interface ExecutionResult {
  /** The plan's requeue, or a forced one when the pass was interrupted. */
  readonly requeueAfterSeconds: number | undefined
  /** Set when the pass stopped early; the actions after it were not run. */
  readonly interrupted: Interruption | undefined
  /** Actions carried out (the interrupting one excluded). */
  readonly completed: number
  readonly drainFailures: ReadonlyArray<DrainFailure>
  /** Tasks killed because their drain failed and spec.drain.onError is "kill". */
  readonly killedOnDrainError: ReadonlyArray<string>
}

export class Executor extends Context.Service<Executor, {
  /** Runs the plan's actions in order; Marathon errors other than 409s fail the pass. */
  readonly run: (plan: Plan) => Effect.Effect<ExecutionResult, MarathonError | DrainRecordsError>
}>()("mdeploy/controller/Executor") {
  static readonly layerNoDeps = Layer.effect(Executor, Effect.gen(function*() {
    const marathon = yield* MarathonClient
    const methods = yield* DrainMethods
    const records = yield* DrainRecords
    return Executor.of({ run: (plan) => run(plan, { marathon, methods, records }) })
  }))

  /** Needs MarathonClient, DrainMethods and DrainRecords. */
  static readonly layer = Executor.layerNoDeps
}

interface Deps {
  readonly marathon: MarathonClient["Service"]
  readonly methods: DrainMethods["Service"]
  readonly records: DrainRecords["Service"]
}

type Step = { readonly interrupted?: Interruption; readonly failures?: ReadonlyArray<DrainFailure>; readonly killed?: ReadonlyArray<string> }

const attributes = (plan: Plan, action: Action) => ({
  "mdeploy.instance": plan.name,
  "mdeploy.action": action.type,
  "mdeploy.app_id": "appId" in action ? action.appId : [...new Set(action.tasks.map((task) => task.appId))].join(","),
  ...("tasks" in action ? { "mdeploy.task_count": action.tasks.length } : {}),
  ...(action.type === "scaleApp" ? { "mdeploy.instances": action.instances } : {})
})

const createApp = Effect.fn("Executor.createApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "createApp" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  const result = yield* deps.marathon.createApp(action.definition)
  // Someone else created it since our snapshot: our view is stale, so stop and look again.
  if (result === "AlreadyExists") {
    yield* Effect.logWarning(`${plan.name}: ${action.appId} already exists, another actor created it; retrying later`)
    return { interrupted: { action: action.type, reason: "AlreadyExists", appId: action.appId } } satisfies Step
  }
  return {} satisfies Step
})

const scaleApp = Effect.fn("Executor.scaleApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "scaleApp" }>) {
  yield* Effect.annotateCurrentSpan({ ...attributes(plan, action), "mdeploy.scale.reason": action.reason })
  yield* deps.marathon.scaleApp(action.appId, action.instances)
  return {} satisfies Step
})

const drainTasks = Effect.fn("Executor.drainTasks")(function*(deps: Deps, plan: Plan, method: DrainMethod, action: Extract<Action, { type: "drainTasks" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  const known = yield* deps.records.list(plan.name)
  const now = yield* DateTime.now
  const failed: Array<DrainFailure> = []
  yield* Effect.forEach(action.tasks, (task) =>
    method.drain(task).pipe(
      // The record is written only once the backend accepted the drain; noop has nothing to remember.
      Effect.andThen(
        known.has(task.id) || method.name === "noop"
          ? Effect.void
          : deps.records.put(plan.name, task.id, { requestedAt: now, method: method.name, appId: task.appId })
      ),
      Effect.catchTag("DrainError", (error) => Effect.sync(() => failed.push({ taskId: task.id, operation: "drain", message: error.message })))
    ), { concurrency: 16, discard: true })
  if (failed.length === 0) return {} satisfies Step
  yield* Effect.annotateCurrentSpan({ "mdeploy.drain.failures": failed.length })
  if (plan.drain.onError !== "kill") return { failures: failed } satisfies Step
  // PaaSTA's choice, when asked for: a task that cannot be drained is killed right away.
  const ids = failed.map((failure) => failure.taskId)
  yield* deps.marathon.killTasks(ids)
  return { failures: failed, killed: ids } satisfies Step
})

const stopDraining = Effect.fn("Executor.stopDraining")(function*(deps: Deps, plan: Plan, method: DrainMethod, action: Extract<Action, { type: "stopDraining" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  const failed: Array<DrainFailure> = []
  // Failures are reported and left for the next pass (the record stays, so it is retried).
  yield* Effect.forEach(action.tasks, (task) =>
    method.stopDraining(task).pipe(
      Effect.andThen(deps.records.remove(plan.name, task.id)),
      Effect.catchTag("DrainError", (error) => Effect.sync(() => failed.push({ taskId: task.id, operation: "stopDraining", message: error.message })))
    ), { concurrency: 16, discard: true })
  return { failures: failed } satisfies Step
})

const killTasks = Effect.fn("Executor.killTasks")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "killTasks" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  yield* deps.marathon.killTasks(action.tasks.map((task: TaskRef) => task.id))
  yield* Effect.forEach(action.tasks, (task) => deps.records.remove(plan.name, task.id), { concurrency: 16, discard: true })
  return {} satisfies Step
})

const deleteApp = Effect.fn("Executor.deleteApp")(function*(deps: Deps, plan: Plan, action: Extract<Action, { type: "deleteApp" }>) {
  yield* Effect.annotateCurrentSpan(attributes(plan, action))
  yield* deps.marathon.deleteApp(action.appId)
  return {} satisfies Step
})

const run = Effect.fn("Executor.run")(function*(plan: Plan, deps: Deps): Effect.fn.Return<ExecutionResult, MarathonError | DrainRecordsError> {
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
    const step: Step = yield* Effect.suspend((): Effect.Effect<Step, MarathonError | DrainRecordsError> => {
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
        requeueAfterSeconds: step.interrupted.reason === "AlreadyExists" ? bounceAgainSeconds : lockedRequeueSeconds,
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
})
