// What a pass leaves in etcd beside Marathon: the instance's status (fenced, and counted by the
// leader's rollout bookkeeping once the write held), the events it tells, and the two records of a
// pass that cannot go on: a stored spec that cannot be used (phase Invalid, written once, nothing
// of the instance touched) and a failed pass (best effort, so `get` and `describe` say why).
import { DateTime, Effect, Option } from "effect"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { InstanceStatus } from "../domain/InstanceStatus.ts"
import { EventRecorder } from "../events/EventRecorder.ts"
import type { EventNote } from "../events/InstanceEvent.ts"
import { passEvents, withSpecContext } from "../events/PassEvents.ts"
import type { Fence } from "../store/StatusStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import type { Desired } from "./DesiredState.ts"
import type { Outcome } from "./Outcome.ts"
import { InvalidSpec } from "./Outcome.ts"
import type { Rollouts } from "./Rollouts.ts"
import { nextStatus, statusChanged } from "./StatusUpdate.ts"
import { currentSpan } from "../telemetry/CurrentSpan.ts"

export const makePassRecords = <E, R>(
  rollouts: Rollouts | undefined,
  readDesired: (name: InstanceName) => Effect.Effect<Desired, E, R>
) =>
  Effect.gen(function*() {
    const statuses = yield* StatusStore
    const events = yield* EventRecorder
    const tell = (name: InstanceName, notes: ReadonlyArray<EventNote>, desired?: Desired) =>
      Effect.forEach(notes, (note) =>
        events.record(name, withSpecContext(note, desired?._tag === "Spec" ? desired.stored.metadata : undefined)), {
        discard: true
      })
    const readStatus = (name: InstanceName) =>
      Effect.map(statuses.get(name), Option.getOrUndefined)
    /** `giveBack`: locks the same transaction deletes (the pass's last write; see StatusStore.put). */
    const writeStatus = Effect.fnUntraced(function*(
      name: InstanceName,
      previous: InstanceStatus | undefined,
      status: InstanceStatus,
      fences: ReadonlyArray<Fence>,
      giveBack?: ReadonlyArray<Fence>
    ) {
      yield* statuses.put(name, status, fences, giveBack)
      // After the write held: a rollout counts only what etcd has.
      if (rollouts !== undefined) {
        yield* rollouts.statusWritten(name, previous, status)
      }
    })
    const removeStatus = Effect.fnUntraced(function*(name: InstanceName, fences: ReadonlyArray<Fence>) {
      yield* statuses.remove(name, fences)
      if (rollouts !== undefined) {
        yield* rollouts.statusRemoved(name)
      }
    })
    const traceId = Effect.map(currentSpan, (span) =>
      span?.traceId)

    /** Phase Invalid, written once; nothing of the instance is read from or written to Marathon. */
    const markUnreadable = Effect.fnUntraced(function*(
      name: InstanceName,
      message: string,
      previous: InstanceStatus | undefined,
      fences: ReadonlyArray<Fence>,
      dryRun: boolean
    ) {
      const error = `the stored spec cannot be used (${message}); its apps are left as they are`
      yield* Effect.logWarning("unreadable spec: instance left alone").pipe(Effect.annotateLogs({ instance: name, error: message }))
      if (!dryRun) {
        const status: InstanceStatus = {
          ...nextStatus({
            previous,
            plan: undefined,
            generation: 0,
            result: "Invalid",
            error,
            now: DateTime.toUtc(yield* DateTime.now),
            traceId: yield* traceId
          }),
          phase: "Invalid",
          summary: error
        }
        if (statusChanged(previous, status)) yield* writeStatus(name, previous, status, fences)
        yield* tell(name, passEvents({ previous, next: status, done: [], drainMethod: "-" }))
      }
      return { _tag: "Failed", terminal: true, error: new InvalidSpec({ message: error }), message: error } satisfies Outcome
    })

    /** Records a failed pass in status (best effort) so `get`/`describe` show why nothing moves. */
    const recordFailure = Effect.fnUntraced(function*(name: InstanceName, error: string, fences: ReadonlyArray<Fence>) {
      const previous = yield* readStatus(name)
      const desired = yield* readDesired(name)
      if (desired._tag !== "Spec") return
      const status: InstanceStatus = nextStatus({
        previous,
        plan: undefined,
        generation: desired.stored.metadata.generation,
        result: "Error",
        error,
        now: DateTime.toUtc(yield* DateTime.now),
        traceId: undefined
      })
      if (statusChanged(previous, status)) yield* writeStatus(name, previous, status, fences)
      yield* tell(name, [{ type: "Warning", reason: "ReconcileFailed", message: error }])
    }, (effect) => Effect.ignore(effect))

    return { readStatus, writeStatus, removeStatus, traceId, tell, markUnreadable, recordFailure }
  })
