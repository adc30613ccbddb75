import { assert, describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { decodeAppEnvelope, decodeAppList, UnreadableAnswer } from "../../src/marathon/AppListDecoder.ts"
import * as Payload from "../../src/marathon/MarathonSchema.ts"
import { app, required } from "./AppAnswers.ts"

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
