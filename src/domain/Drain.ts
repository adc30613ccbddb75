// How tasks are taken out of the load balancer before they are killed (paasta-behaviour.md §5).
// Params are checked per method; `onError` chooses between PaaSTA's "a failed drain kills the task"
// and the safer default of retrying the drain on the next reconcile.
import { Schema } from "effect"
import { drainHttpMethods, drainUrlTemplateProblem, maxDrainTimeoutSeconds } from "./DrainEndpoint.ts"

const nonNegative = (description: string, defaultValue: number) =>
  Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description, default: defaultValue }))

const successCodesPattern = /^\s*\d{3}(\s*-\s*\d{3})?(\s*,\s*\d{3}(\s*-\s*\d{3})?)*\s*$/

export const HttpDrainCall = Schema.Struct({
  // Annotated before the check: a description on a custom filter does not reach the JSON Schema.
  urlFormat: Schema.NonEmptyString.annotate({
    description: "http[s]://{host}:{port}/path (or {portN}: the task's Nth port); the path may use " +
      "{service}, {instance}, {registration}, {task_id}. Only the task's own host and ports can be addressed."
  }).check(Schema.makeFilter((template: string) => drainUrlTemplateProblem(template))),
  method: Schema.optionalKey(
    Schema.Literals(drainHttpMethods).annotate({
      message: "only GET and POST are allowed for drain calls",
      default: "GET"
    })
  ),
  successCodes: Schema.optionalKey(
    Schema.Union([
      Schema.String.check(
        Schema.isPattern(successCodesPattern, { message: "must look like \"200-299,404\"" })
      ),
      Schema.Int.check(Schema.isBetween({ minimum: 100, maximum: 599 }))
    ]).annotate({ description: "status codes that count as success, e.g. \"200-299,404\"", default: "200-299" })
  )
})
export type HttpDrainCall = typeof HttpDrainCall.Type

// A registration is one segment of hacheck's spool path: it must not be able to leave it.
const Registration = Schema.NonEmptyString.check(
  Schema.isPattern(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, {
    message: "registrations are [A-Za-z0-9_.:-], not starting with \".\" (one path segment of hacheck's spool)"
  })
)

const common = {
  onError: Schema.optionalKey(
    Schema.Literals(["retry", "kill"]).annotate({
      description: "when a drain call fails: retry on the next reconcile (default) or kill the task as PaaSTA did",
      default: "retry"
    })
  ),
  timeoutSeconds: Schema.optionalKey(
    Schema.Finite.check(
      Schema.isGreaterThan(0),
      Schema.isLessThanOrEqualTo(maxDrainTimeoutSeconds, {
        message: `must be at most ${maxDrainTimeoutSeconds} (drain calls are capped at ${maxDrainTimeoutSeconds} s)`
      })
    ).annotate({ description: `per-call timeout in seconds, at most ${maxDrainTimeoutSeconds}`, default: 15 })
  )
}

export const NoopDrain = Schema.Struct({
  method: Schema.Literal("noop"),
  params: Schema.optionalKey(Schema.Record(Schema.String, Schema.Never).annotate({ description: "noop takes no params" })),
  ...common
})

export const TestDrain = Schema.Struct({
  method: Schema.Literal("test"),
  params: Schema.optionalKey(Schema.Struct({
    delay: nonNegative("seconds from the drain request until the task is safe to kill", 1)
  })),
  ...common
})

export const HacheckDrain = Schema.Struct({
  method: Schema.Literal("hacheck"),
  params: Schema.optionalKey(Schema.Struct({
    delay: nonNegative("seconds a task must have been down in hacheck before it is killed", 240),
    hacheckPort: Schema.optionalKey(
      Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 })).annotate({ default: 6666 })
    ),
    expiration: nonNegative("seconds until hacheck reverts the down state on its own (0 = 10 × delay)", 0),
    registrations: Schema.optionalKey(
      Schema.Array(Registration).annotate({ description: "load-balancer registrations (default [name])" })
    )
  })),
  ...common
})

export const HttpDrain = Schema.Struct({
  method: Schema.Literal("http"),
  params: Schema.Struct({
    drain: HttpDrainCall,
    stopDraining: HttpDrainCall,
    isDraining: HttpDrainCall,
    isSafeToKill: HttpDrainCall
  }),
  ...common
})

export const DrainMethodName = Schema.Literals(["noop", "test", "hacheck", "http"])
export type DrainMethodName = typeof DrainMethodName.Type

export const Drain = Schema.Union([NoopDrain, TestDrain, HacheckDrain, HttpDrain]).annotate({
  message: "Expected {method: noop | test | hacheck | http, params: ...} with the params of that method",
  description: "Drain method and its params"
})
export type Drain = typeof Drain.Type

export const drainDefaults = { method: "noop", onError: "retry", timeoutSeconds: 15 } as const
