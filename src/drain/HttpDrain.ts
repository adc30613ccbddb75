// http drain (paasta-behaviour.md §5.2): four user-defined calls (drain, stopDraining, isDraining,
// isSafeToKill), each a URL template with {host}, {port} (or {portN}), {service}, {instance},
// {registration} (alias {nerve_ns}) and {task_id}, a method and success codes such as "200-299,404".
// drain/stopDraining fail on any other status; the two questions answer false instead.
// Only the task's own host and ports are ever called (domain/DrainEndpoint.ts): the schema checks
// the template, and every filled-in URL is checked again here before anything is sent.
import { Effect } from "effect"
import type { HttpClient } from "effect/http"
import { HttpClientRequest } from "effect/http"
import type { HttpDrainCall } from "../domain/Drain.ts"
import { drainHttpMethods, drainUrlTargetProblem } from "../domain/DrainEndpoint.ts"
import type { TaskRef } from "../plan/Action.ts"
import type { DrainMethod, DrainOperation } from "./DrainMethod.ts"
import { DrainError } from "./DrainMethod.ts"

export interface HttpDrainParams {
  readonly drain: HttpDrainCall
  readonly stopDraining: HttpDrainCall
  readonly isDraining: HttpDrainCall
  readonly isSafeToKill: HttpDrainCall
}

export interface HttpDrainContext {
  readonly service: string
  readonly instance: string
  readonly registration: string
}

/** "200-299,404" → predicate; ranges are inclusive, a bare integer is one code. */
export const parseSuccessCodes = (codes: string | number | undefined): (status: number) => boolean => {
  if (typeof codes === "number") return (status) => status === codes
  const ranges = (codes ?? "200-299").split(",").map((part) => {
    const [low, high] = part.split("-").map((bound) => Number(bound.trim()))
    return [low ?? 0, high ?? low ?? 0] as const
  })
  return (status) => ranges.some(([low, high]) => status >= low && status <= high)
}

export const formatUrl = (template: string, task: TaskRef, context: HttpDrainContext): string => {
  const values: Record<string, string> = {
    host: task.host,
    port: String(task.ports[0] ?? ""),
    service: context.service,
    instance: context.instance,
    registration: context.registration,
    nerve_ns: context.registration,
    task_id: task.id
  }
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const indexed = /^port(0|[1-9][0-9]*)$/.exec(key)
    if (indexed !== null) return String(task.ports[Number(indexed[1])] ?? "")
    return values[key] ?? whole
  })
}

export const makeHttpDrain = (client: HttpClient.HttpClient, params: HttpDrainParams, context: HttpDrainContext): DrainMethod => {
  const call = (operation: DrainOperation, task: TaskRef) =>
    Effect.gen(function*() {
      const spec = params[operation]
      const url = formatUrl(spec.urlFormat, task, context)
      const method = spec.method ?? "GET"
      // The schema already refuses other methods; checked again as the URL is, right before sending.
      const refused = drainHttpMethods.includes(method) ? drainUrlTargetProblem(url, task) : `method ${method} is not allowed`
      if (refused !== undefined) {
        return yield* new DrainError({ method: "http", operation, taskId: task.id, message: `refused: ${refused}` })
      }
      const response = yield* client.execute(HttpClientRequest.make(method)(url)).pipe(
        Effect.mapError((error) => new DrainError({ method: "http", operation, taskId: task.id, message: error.message }))
      )
      return { ok: parseSuccessCodes(spec.successCodes)(response.status), status: response.status, url }
    })
  const command = (operation: "drain" | "stopDraining") => (task: TaskRef) =>
    Effect.gen(function*() {
      const result = yield* call(operation, task)
      if (!result.ok) {
        return yield* new DrainError({
          method: "http",
          operation,
          taskId: task.id,
          message: `${result.url} answered ${result.status}, not one of the success codes`
        })
      }
    })
  return {
    name: "http",
    safeOnDrain: false,
    drain: command("drain"),
    stopDraining: command("stopDraining"),
    isDraining: (task) => Effect.map(call("isDraining", task), (result) => result.ok),
    isSafeToKill: (task) => Effect.map(call("isSafeToKill", task), (result) => ({ safe: result.ok }))
  }
}
