// Asks the drain method about every task of one instance before planning, so Plan.make can stay
// pure: is it draining, and if so is it safe to kill? Failures become "error" answers (the plan
// decides what they mean); records of tasks Marathon no longer lists are forgotten here.
import { Effect } from "effect"
import { belongsTo, isManaged } from "../domain/AppIdentity.ts"
import { taskRef } from "../plan/Action.ts"
import type { DrainConfig, DrainState, ProgressMark, TaskDrainAnswer } from "../plan/DrainState.ts"
import type { ObservedInstance } from "../plan/Observed.ts"
import type { DrainMethod } from "./DrainMethod.ts"
import type { DrainRecord } from "./DrainRecord.ts"
import { DrainMethods } from "./DrainMethods.ts"
import { DrainRecords } from "./DrainRecords.ts"

/** The tasks a drain method is asked about: those of the instance's own managed apps. */
const drainableTasks = (observed: ObservedInstance) =>
  observed.apps
    .filter((app) => belongsTo(app.id, observed.name) && isManaged(app.labels))
    .flatMap((app) => app.tasks)

/** Whether `records` hold a record of a task Marathon no longer lists (one for a pass to remove). */
export const hasStaleRecords = (observed: ObservedInstance, records: ReadonlyMap<string, DrainRecord>): boolean => {
  if (records.size === 0) return false
  const live = new Set(drainableTasks(observed).map((task) => task.id))
  for (const taskId of records.keys()) if (!live.has(taskId)) return true
  return false
}

/**
 * Builds the DrainState for `Plan.make`. `drain` is spec.drain, or for a deleted instance the
 * config the caller falls back to (`noopDrain`); `progress` is the mark persisted by the last pass.
 * `cached`: the records as a watch-fed cache holds them, for a lock-free look — then nothing is
 * read from etcd and no stale record is removed (only a pass under the instance lock writes).
 * `read`: the records the caller just read from etcd (beside Marathon, under the lock).
 */
const probeTasks = Effect.fnUntraced(function*(
  observed: ObservedInstance,
  drain: DrainConfig,
  progress: ProgressMark | undefined,
  cached?: ReadonlyMap<string, DrainRecord>,
  read?: ReadonlyMap<string, DrainRecord>
) {
  const records = yield* DrainRecords
  const method = (yield* DrainMethods).forInstance(observed.name, drain)
  const stored = cached ?? read ?? (yield* records.list(observed.name))
  const tasks = drainableTasks(observed)

  const answers = new Map<string, TaskDrainAnswer>()
  // Drain services are asked in parallel; a single task needs no fiber of its own.
  yield* Effect.forEach(tasks, (task) =>
    Effect.gen(function*() {
      const ref = taskRef(task)
      const record = stored.get(task.id)
      const draining = yield* method.isDraining(ref, record).pipe(Effect.orElseSucceed(() => "error" as const))
      if (draining !== true) {
        answers.set(task.id, { draining })
        return
      }
      const verdict = yield* method.isSafeToKill(ref, record).pipe(Effect.orElseSucceed(() => "error" as const))
      answers.set(
        task.id,
        verdict === "error"
          ? { draining, safeToKill: "error" }
          : { draining, safeToKill: verdict.safe, ...(verdict.safeAt === undefined ? {} : { safeAt: verdict.safeAt }) }
      )
    }), { concurrency: tasks.length > 1 ? 64 : 1, discard: true })

  // A record whose task is gone (killed out of band, or by a pass that crashed before cleaning up).
  const live = new Set(tasks.map((task) => task.id))
  const current = new Map([...stored].filter(([taskId]) => live.has(taskId)))
  if (cached === undefined && current.size < stored.size) {
    yield* Effect.forEach(
      [...stored.keys()].filter((taskId) => !live.has(taskId)),
      (taskId) => records.remove(observed.name, taskId).pipe(Effect.ignore),
      { discard: true }
    )
  }

  yield* Effect.annotateCurrentSpan({ "mdeploy.instance": observed.name, "mdeploy.tasks": tasks.length })
  return {
    drain,
    safeOnDrain: method.safeOnDrain,
    answers,
    records: current,
    progress
  } satisfies DrainState as DrainState
})

/**
 * The span without a captured stack: `Effect.fn` (and `withSpan` given last) make an Error per
 * call for the span's source location, and every pass, idle ones included, probes.
 */
export const probe = (
  observed: ObservedInstance,
  drain: DrainConfig,
  progress: ProgressMark | undefined,
  cached?: ReadonlyMap<string, DrainRecord>,
  read?: ReadonlyMap<string, DrainRecord>
) => Effect.withSpan(probeTasks(observed, drain, progress, cached, read), "DrainProbe.probe", { captureStackTrace: false })

/**
 * `probe` without a fiber, for a lock-free look: the DrainState when the method answers from the
 * watch's records alone and no task is draining. Anything else — a backend to ask, a task that is
 * draining — is undefined, and `probe` decides it.
 */
export const probeFromRecords = (
  observed: ObservedInstance,
  drain: DrainConfig,
  method: DrainMethod,
  progress: ProgressMark | undefined,
  cached: ReadonlyMap<string, DrainRecord>
): DrainState | undefined => {
  const fromRecord = method.drainingFromRecord
  if (fromRecord === undefined) return undefined
  const answers = new Map<string, TaskDrainAnswer>()
  const current = new Map<string, DrainRecord>()
  for (const task of drainableTasks(observed)) {
    const record = cached.get(task.id)
    if (fromRecord(record)) return undefined
    answers.set(task.id, { draining: false })
    if (record !== undefined) current.set(task.id, record)
  }
  return { drain, safeOnDrain: method.safeOnDrain, answers, records: current, progress }
}
