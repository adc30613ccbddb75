// The drain methods of all instances behind one service: picks the implementation for an
// instance's drain config, holds a delay's end back until this process's monotonic clock agrees
// (DelayWitness.ts), and wraps every call in a span, a per-call timeout (drain.timeoutSeconds, capped
// at 60 s even for specs stored before the schema enforced the cap)
// and two concurrency caps, so a slow or hanging drain backend can neither stall other instances
// nor flood hacheck with thousands of parallel calls (PaaSTA #1287, PR #1815). The process-wide
// cap is shared: each instance may hold only a few of its permits, and waiting instances are
// served in turn, so one instance whose backend never answers cannot starve the others. Once a
// call of an instance got no answer, that instance's calls still queued fail at once instead of
// each waiting out its own timeout, so its reconcile (and the worker running it) is held for about
// one timeout, not one per task; the next burst of calls tries the backend again.
import { Context, Duration, Effect, Layer, PartitionedSemaphore, Semaphore } from "effect"
import { HttpClient } from "effect/http"
import { maxDrainTimeoutSeconds } from "../domain/DrainEndpoint.ts"
import { splitInstanceName } from "../domain/InstanceName.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { TaskRef } from "../plan/Action.ts"
import type { DrainConfig } from "../plan/DrainState.ts"
import type { DelayWitness } from "./DelayWitness.ts"
import { makeDelayWitness } from "./DelayWitness.ts"
import type { DrainMethod, DrainOperation } from "./DrainMethod.ts"
import { DrainError } from "./DrainMethod.ts"
import { makeHacheckDrain } from "./HacheckDrain.ts"
import { makeHttpDrain } from "./HttpDrain.ts"
import { makeNoopDrain } from "./NoopDrain.ts"
import { makeTestDrain } from "./TestDrain.ts"
import { drainDelaySeconds, hacheckDefaultDelaySeconds } from "./DelayCountdown.ts"

export interface DrainMethodsOptions {
  /** Drain-backend calls in flight at once, across all instances. */
  readonly maxConcurrentCalls: number
  /** Drain-backend calls of one instance in flight at once; well under maxConcurrentCalls. */
  readonly maxConcurrentCallsPerInstance: number
}

export const defaultDrainMethodsOptions: DrainMethodsOptions = { maxConcurrentCalls: 32, maxConcurrentCallsPerInstance: 4 }

export class DrainMethods extends Context.Service<DrainMethods, {
  /** The drain method of one instance, with timeout, concurrency cap and spans applied. */
  readonly forInstance: (name: InstanceName, drain: DrainConfig) => DrainMethod
}>()("mdeploy/drain/DrainMethods") {
  static readonly layerNoDeps = (options: Partial<DrainMethodsOptions> = {}) =>
    Layer.effect(
      DrainMethods,
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const permits = yield* PartitionedSemaphore.make<InstanceName>({
          permits: options.maxConcurrentCalls ?? defaultDrainMethodsOptions.maxConcurrentCalls
        })
        const perInstance = instanceSlots(
          options.maxConcurrentCallsPerInstance ?? defaultDrainMethodsOptions.maxConcurrentCallsPerInstance
        )
        const withPermit = (name: InstanceName): WithPermit => (use) =>
          // The instance's own permit first: a call waiting for it holds nothing shared.
          perInstance(name)((slot) => slot.stalled ? use(slot) : PartitionedSemaphore.withPermit(permits, name)(use(slot)))
        // Shared by every instance: the delays this process has seen start, on its own clock.
        const witness = makeDelayWitness()
        return DrainMethods.of({
          forInstance: (name, drain) => limit(name, drain, withPermit(name), witness, implementation(client, name, drain))
        })
      })
    )

  /** Needs an HttpClient (the composition root provides NodeHttpClient.layerUndici). */
  static readonly layer = DrainMethods.layerNoDeps()
}

const implementation = (client: HttpClient.HttpClient, name: InstanceName, drain: DrainConfig): DrainMethod => {
  const { service, instance } = splitInstanceName(name)
  switch (drain.method) {
    case "noop":
      return makeNoopDrain()
    case "test":
      return makeTestDrain(drainDelaySeconds(drain))
    case "hacheck":
      return makeHacheckDrain(client, {
        delay: drainDelaySeconds(drain) ?? hacheckDefaultDelaySeconds,
        hacheckPort: drain.params?.hacheckPort ?? 6666,
        expiration: drain.params?.expiration ?? 0,
        registrations: drain.params?.registrations ?? [name]
      })
    case "http":
      return makeHttpDrain(client, drain.params, { service, instance, registration: name })
  }
}

/** What the calls of one instance share while any of them is running. */
interface InstanceSlot {
  readonly permits: Semaphore.Semaphore
  users: number
  /** A call got no answer within its timeout: the calls still queued give up at once. */
  stalled: boolean
}

/**
 * One small semaphore per instance, made on first use and dropped when its last caller is done, so
 * deleted instances leave nothing behind and a stalled backend is tried afresh on the next pass.
 */
const instanceSlots = (permitsEach: number) => {
  const slots = new Map<InstanceName, InstanceSlot>()
  return (name: InstanceName) => <A, E, R>(use: (slot: InstanceSlot) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        let slot = slots.get(name)
        if (slot === undefined) {
          slot = { permits: Semaphore.makeUnsafe(Math.max(1, permitsEach)), users: 0, stalled: false }
          slots.set(name, slot)
        }
        slot.users++
        return slot
      }),
      // Built only once the permit is held: `use` reads the slot as it is then.
      (slot) => Semaphore.withPermit(slot.permits)(Effect.suspend(() => use(slot))),
      (slot) =>
        Effect.sync(() => {
          if (--slot.users === 0) slots.delete(name)
        })
    )
}

type WithPermit = <A, E, R>(use: (slot: InstanceSlot) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const limit = (name: InstanceName, drain: DrainConfig, withPermit: WithPermit, witness: DelayWitness, method: DrainMethod): DrainMethod => {
  const seconds = Math.min(drain.timeoutSeconds, maxDrainTimeoutSeconds)
  const timeout = Duration.seconds(seconds)
  const guard = <A>(operation: DrainOperation, task: TaskRef, call: Effect.Effect<A, DrainError>) => {
    const failure = (message: string) => new DrainError({ method: method.name, operation, taskId: task.id, message })
    return withPermit((slot) =>
      slot.stalled
        ? Effect.fail(failure(`not tried: another call to this backend got no answer within ${seconds}s`))
        : call.pipe(Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.suspend(() => {
              slot.stalled = true
              return Effect.fail(failure(`no answer within ${seconds}s`))
            })
        }))
    ).pipe(
      Effect.withSpan(`DrainMethod.${operation}`, {
        attributes: { "mdeploy.instance": name, "mdeploy.drain.method": method.name, "mdeploy.task_id": task.id }
      })
    )
  }
  // noop answers without I/O; keep it free of permits and spans so large apps stay cheap.
  if (method.name === "noop") return method
  return {
    name: method.name,
    safeOnDrain: method.safeOnDrain,
    // No call, so nothing to limit or time out.
    ...(method.drainingFromRecord === undefined ? {} : { drainingFromRecord: method.drainingFromRecord }),
    // Counted from now: a wall clock stepped before the first question cannot shorten the delay.
    drain: (task) => Effect.andThen(witness.drained(task.id), guard("drain", task, method.drain(task))),
    stopDraining: (task) => guard("stopDraining", task, method.stopDraining(task)),
    isDraining: (task, record) => guard("isDraining", task, method.isDraining(task, record)),
    // A delay counted on a wall clock must also have passed on this process's own (DelayWitness.ts).
    isSafeToKill: (task, record) =>
      guard("isSafeToKill", task, method.isSafeToKill(task, record)).pipe(Effect.flatMap((answer) => witness.confirm(task.id, answer)))
  }
}
