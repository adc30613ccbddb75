// Generated Marathon app answers for decoder tests: each field as Marathon sends it, or absent,
// null, or of another type (an untrusted answer), and unknown fields beside them.
import fc from "fast-check"

// A field as Marathon sends it, or as an untrusted answer might: absent, null, or a value of another type.
const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant([1]))
const field = <A>(valid: fc.Arbitrary<A>) =>
  fc.option(fc.oneof({ weight: 6, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wrong }), {
    nil: undefined,
    freq: 4
  })
export const required = <A>(valid: fc.Arbitrary<A>) =>
  fc.oneof({ weight: 12, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wrong }, {
    weight: 1,
    arbitrary: fc.constant(undefined)
  })
const time = fc.oneof(
  fc.constant("2026-12-04T10:00:00.000Z"),
  fc.constant("2026-12-04T10:00:00"),
  fc.constant("not a time"),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
)

const task = fc.record({
  id: required(fc.string()),
  appId: required(fc.string()),
  host: field(fc.string()),
  state: field(fc.constantFrom("TASK_RUNNING", "TASK_STAGING", "TASK_KILLING")),
  stagedAt: field(time),
  startedAt: field(time),
  ports: field(fc.array(required(fc.integer({ min: 0, max: 65535 })), { maxLength: 3 })),
  healthCheckResults: field(fc.array(required(fc.record({ alive: required(fc.boolean()) })), { maxLength: 2 }))
}, { requiredKeys: [] })

export const app = fc.record({
  id: required(fc.string()),
  instances: required(fc.integer({ min: 0, max: 10 })),
  labels: field(fc.dictionary(fc.string(), required(fc.string({ unit: "binary" })), { maxKeys: 3 })),
  version: field(time),
  versionInfo: field(fc.record({ lastConfigChangeAt: field(time) }, { requiredKeys: [] })),
  healthChecks: field(
    fc.array(required(fc.record({ gracePeriodSeconds: field(fc.integer()), intervalSeconds: field(fc.integer()) }, { requiredKeys: [] })), {
      maxLength: 2
    })
  ),
  tasks: field(fc.array(required(task), { maxLength: 3 })),
  tasksRunning: field(fc.integer({ min: 0, max: 10 })),
  deployments: field(fc.array(required(fc.record({ id: required(fc.string()) }, { requiredKeys: [] })), { maxLength: 2 })),
  lastTaskFailure: field(fc.record({
    taskId: required(fc.string()),
    state: required(fc.string()),
    message: required(fc.string()),
    timestamp: required(time),
    host: field(fc.string())
  }, { requiredKeys: [] })),
  cmd: fc.option(fc.string())
}, { requiredKeys: [] })
