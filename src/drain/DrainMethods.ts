// The drain methods of all instances behind one service: picks the implementation for an
// instance's drain config and wraps every call in a span, a per-call timeout (drain.timeoutSeconds,
// capped at 60 s even for specs stored before the schema enforced the cap)
// and a process-wide concurrency cap, so a slow or hanging drain backend can neither stall other
// instances nor flood hacheck with thousands of parallel calls (PaaSTA #1287, PR #1815).
import { Context, Duration, Effect, Layer, Semaphore } from "effect"
import { HttpClient } from "effect/http"
import { maxDrainTimeoutSeconds } from "../domain/DrainEndpoint.ts"
import { splitInstanceName } from "../domain/InstanceName.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import type { TaskRef } from "../plan/Action.ts"
import type { DrainConfig } from "../plan/DrainState.ts"
import type { DrainMethod, DrainOperation } from "./DrainMethod.ts"
import { DrainError } from "./DrainMethod.ts"
import { makeHacheckDrain } from "./HacheckDrain.ts"
import { makeHttpDrain } from "./HttpDrain.ts"
import { makeNoopDrain } from "./NoopDrain.ts"
import { makeTestDrain, testDrainDefaultDelaySeconds } from "./TestDrain.ts"

export interface DrainMethodsOptions {
  /** Drain-backend calls in flight at once, across all instances. */
  readonly maxConcurrentCalls: number
}

export const defaultDrainMethodsOptions: DrainMethodsOptions = { maxConcurrentCalls: 32 }

export class DrainMethods extends Context.Service<DrainMethods, {
  /** The drain method of one instance, with timeout, concurrency cap and spans applied. */
  readonly forInstance: (name: InstanceName, drain: DrainConfig) => DrainMethod
}>()("mdeploy/drain/DrainMethods") {
  static readonly layerNoDeps = (options: Partial<DrainMethodsOptions> = {}) =>
    Layer.effect(
      DrainMethods,
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const permits = yield* Semaphore.make(options.maxConcurrentCalls ?? defaultDrainMethodsOptions.maxConcurrentCalls)
        return DrainMethods.of({
          forInstance: (name, drain) => limit(name, drain, permits, implementation(client, name, drain))
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
      return makeTestDrain(drain.params?.delay ?? testDrainDefaultDelaySeconds)
    case "hacheck":
      return makeHacheckDrain(client, {
        delay: drain.params?.delay ?? 240,
        hacheckPort: drain.params?.hacheckPort ?? 6666,
        expiration: drain.params?.expiration ?? 0,
        registrations: drain.params?.registrations ?? [name]
      })
    case "http":
      return makeHttpDrain(client, drain.params, { service, instance, registration: name })
  }
}

const limit = (name: InstanceName, drain: DrainConfig, permits: Semaphore.Semaphore, method: DrainMethod): DrainMethod => {
  const seconds = Math.min(drain.timeoutSeconds, maxDrainTimeoutSeconds)
  const timeout = Duration.seconds(seconds)
  const guard = <A>(operation: DrainOperation, task: TaskRef, call: Effect.Effect<A, DrainError>) =>
    call.pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(new DrainError({
            method: method.name,
            operation,
            taskId: task.id,
            message: `no answer within ${seconds}s`
          }))
      }),
      Semaphore.withPermit(permits),
      Effect.withSpan(`DrainMethod.${operation}`, {
        attributes: { "mdeploy.instance": name, "mdeploy.drain.method": method.name, "mdeploy.task_id": task.id }
      })
    )
  // noop answers without I/O; keep it free of permits and spans so large apps stay cheap.
  if (method.name === "noop") return method
  return {
    name: method.name,
    safeOnDrain: method.safeOnDrain,
    drain: (task) => guard("drain", task, method.drain(task)),
    stopDraining: (task) => guard("stopDraining", task, method.stopDraining(task)),
    isDraining: (task, record) => guard("isDraining", task, method.isDraining(task, record)),
    isSafeToKill: (task, record) => guard("isSafeToKill", task, method.isSafeToKill(task, record))
  }
}
