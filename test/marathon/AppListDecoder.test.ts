import { assert, describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { decodeAppEnvelope, decodeAppList, UnreadableAnswer } from "../../src/marathon/AppListDecoder.ts"
import * as Payload from "../../src/marathon/MarathonSchema.ts"

// The reference: Schema's decode of the same text, then toObservedApp (what the client did before).
const schemaList = Schema.decodeUnknownOption(Schema.fromJsonString(Payload.AppList))
const schemaEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(Payload.AppEnvelope))
const referenceList = (text: string) => Option.map(schemaList(text), (list) => list.apps.map(Payload.toObservedApp))
const referenceEnvelope = (text: string) => Option.map(schemaEnvelope(text), (envelope) => Payload.toObservedApp(envelope.app))

const attempt = <A>(decode: (text: string) => A): (text: string) => Option.Option<A> => (text) => {
  try {
    return Option.some(decode(text))
  } catch (error) {
    if (!(error instanceof UnreadableAnswer)) throw error
    return Option.none()
  }
}
const handList = attempt(decodeAppList)
const handEnvelope = attempt(decodeAppEnvelope)

/** Both decoders accept the text and build equal apps, or both refuse it. */
const agree = <A>(text: string, hand: (text: string) => Option.Option<A>, reference: (text: string) => Option.Option<A>) => {
  const ours = hand(text)
  const theirs = reference(text)
  assert.strictEqual(Option.isSome(ours), Option.isSome(theirs), `accepted by one decoder only: ${text.slice(0, 300)}`)
  if (Option.isSome(ours) && Option.isSome(theirs)) assert.deepStrictEqual(ours.value, theirs.value)
}

// A field as Marathon sends it, or as an untrusted answer might: absent, null, or a value of another type.
const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant([1]))
const field = <A>(valid: fc.Arbitrary<A>) =>
  fc.option(fc.oneof({ weight: 6, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wrong }), {
    nil: undefined,
    freq: 4
  })
const required = <A>(valid: fc.Arbitrary<A>) =>
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

const app = fc.record({
  id: required(fc.string()),
  instances: required(fc.integer({ min: 0, max: 10 })),
  labels: field(fc.dictionary(fc.string(), required(fc.string()), { maxKeys: 3 })),
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

const examples = join(import.meta.dirname, "..", "fixtures", "marathon-api", "v2", "examples")

describe("decodeAppList", () => {
  it("reads Marathon's own example list as the Schema decode does", () => {
    const text = readFileSync(join(examples, "app_list.json"), "utf8")
    assert.isTrue(handList(text)._tag === "Some")
    agree(text, handList, referenceList)
  })

  it("reads Marathon's own example app as the Schema decode does", () => {
    const text = readFileSync(join(examples, "app.json"), "utf8")
    agree(`{"app":${text}}`, handEnvelope, referenceEnvelope)
  })

  it("accepts and refuses what the Schema decode does, and builds the same apps", () => {
    fc.assert(
      fc.property(fc.array(required(app), { maxLength: 4 }), (apps) => {
        agree(JSON.stringify({ apps }), handList, referenceList)
        for (const one of apps) agree(JSON.stringify({ app: one }), handEnvelope, referenceEnvelope)
      }),
      { numRuns: 2000 }
    )
  })

  it("refuses what is not an app list, naming the field", () => {
    for (const text of ["", "[]", "null", "{\"apps\":{}}", "{\"apps\":[{\"id\":1,\"instances\":1}]}"]) {
      agree(text, handList, referenceList)
    }
    assert.throws(
      () => decodeAppList("{\"apps\":[{\"id\":\"/a\",\"instances\":1,\"tasks\":[{\"id\":\"t\",\"appId\":7}]}]}"),
      /apps\[0\]\.tasks\[0\]\.appId: expected a string, got number/
    )
  })
})
