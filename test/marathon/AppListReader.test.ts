import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { decodeAppList, UnreadableAnswer } from "../../src/marathon/AppListDecoder.ts"
import { makeAppListReader } from "../../src/marathon/AppListReader.ts"
import type { ObservedApp } from "../../src/plan/Observed.ts"
import { app, required } from "./AppAnswers.ts"

const encoder = new TextEncoder()
const answer = (apps: ReadonlyArray<unknown>, indent = 0) => encoder.encode(JSON.stringify({ apps }, null, indent))

type Read = { readonly apps: ReadonlyArray<ObservedApp> } | { readonly refused: string }
const outcome = (read: () => ReadonlyArray<ObservedApp>): Read => {
  try {
    return { apps: read() }
  } catch (error) {
    if (!(error instanceof UnreadableAnswer)) throw error
    return { refused: error.message }
  }
}

/** The reader, whatever it read before, reads `bytes` as decoding the whole answer does: the same apps, or a refusal. */
const readsAsWhole = (reader: ReturnType<typeof makeAppListReader>, bytes: Uint8Array) => {
  const whole = outcome(() => decodeAppList(new TextDecoder().decode(bytes)))
  const ours = outcome(() => reader.read(bytes))
  assert.strictEqual("apps" in ours, "apps" in whole, `accepted by one only: ${new TextDecoder().decode(bytes).slice(0, 300)}`)
  if ("apps" in ours && "apps" in whole) assert.deepStrictEqual(ours.apps, whole.apps)
}

const app0 = { id: "/svc0.main.a", instances: 1, tasks: [{ id: "t0", appId: "/svc0.main.a", state: "TASK_RUNNING" }] }
const appN = (n: number) => ({ ...app0, id: `/svc${n}.main.a`, labels: { team: `t${n}` } })

describe("AppListReader", () => {
  it("reads a run of answers as the whole-answer decoder reads each one", () => {
    // Each answer picks apps from a pool, so apps recur, move, appear and go between answers.
    const run = fc.record({
      pool: fc.array(required(app), { minLength: 1, maxLength: 8 }),
      answers: fc.array(fc.record({ picks: fc.array(fc.nat(), { maxLength: 8 }), indent: fc.constantFrom(0, 1, 2) }), {
        minLength: 1,
        maxLength: 4
      })
    })
    fc.assert(
      fc.property(run, ({ pool, answers }) => {
        const reader = makeAppListReader()
        for (const { picks, indent } of answers) readsAsWhole(reader, answer(picks.map((pick) => pool[pick % pool.length]), indent))
      }),
      { numRuns: 1500 }
    )
  })

  it("reads a damaged answer as the whole-answer decoder does, after the answer undamaged", () => {
    const structural = [..."{}[],\":\\ a0"].map((char) => char.charCodeAt(0))
    const damage = fc.record({
      apps: fc.array(required(app), { maxLength: 4 }),
      at: fc.nat(),
      kind: fc.constantFrom("cut", "replace", "insert"),
      byte: fc.constantFrom(...structural)
    })
    fc.assert(
      fc.property(damage, ({ apps, at, kind, byte }) => {
        const good = answer(apps)
        const reader = makeAppListReader()
        outcome(() => reader.read(good))
        const where = at % (good.length + 1)
        const bad = kind === "cut"
          ? good.slice(0, where)
          : Uint8Array.from([...good.slice(0, where), byte, ...good.slice(kind === "replace" ? where + 1 : where)])
        readsAsWhole(reader, bad)
      }),
      { numRuns: 3000 }
    )
  })

  it("parses only the apps whose bytes changed, and hands back the same apps for the rest", () => {
    const reader = makeAppListReader()
    const first = reader.read(answer([appN(1), appN(2), appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 3, reused: 0 })
    const again = reader.read(answer([appN(1), appN(2), appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 0, reused: 3 })
    assert.isTrue(again.every((one, index) => one === first[index]))
    // One app scaled: it alone is parsed again.
    const scaled = reader.read(answer([appN(1), { ...appN(2), instances: 2 }, appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 1, reused: 2 })
    assert.strictEqual(scaled[1]!.instances, 2)
    // An app added in front shifts the others by one: they are still found.
    reader.read(answer([appN(0), appN(1), { ...appN(2), instances: 2 }, appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 1, reused: 3 })
    // And one removed.
    const removed = reader.read(answer([appN(0), { ...appN(2), instances: 2 }, appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 0, reused: 3 })
    assert.strictEqual(removed[1], scaled[1])
    // Two added apart: each shifts the apps after it by one more, and they are still found.
    const spread = reader.read(answer([appN(7), appN(0), { ...appN(2), instances: 2 }, appN(8), appN(3)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 2, reused: 3 })
    assert.strictEqual(spread[4], removed[2])
  })

  it("reads a list longer than the split's first buffers, and again with every app reused", () => {
    const many = answer(Array.from({ length: 1_500 }, (_, n) => appN(n)))
    const reader = makeAppListReader()
    readsAsWhole(reader, many)
    assert.deepStrictEqual(reader.counts(), { parsed: 1_500, reused: 0 })
    readsAsWhole(reader, many)
    assert.deepStrictEqual(reader.counts(), { parsed: 0, reused: 1_500 })
  })

  it("leaves an answer of another shape to the whole-answer decoder", () => {
    const reader = makeAppListReader()
    const extra = encoder.encode(JSON.stringify({ apps: [appN(1)], more: true }))
    assert.strictEqual(reader.read(extra)[0]!.id, "/svc1.main.a")
    assert.deepStrictEqual(reader.counts(), { parsed: 1, reused: 0 })
    assert.throws(
      () => reader.read(encoder.encode("{\"apps\":[{\"id\":\"/a\",\"instances\":\"1\"}]}")),
      /apps\[0\]\.instances: expected a number/
    )
    assert.throws(() => reader.read(encoder.encode("{\"apps\":[{\"id\":\"/a\"")), UnreadableAnswer)
    // After it, an answer of Marathon's shape is split again, and compared with the next.
    reader.read(answer([appN(1), appN(2)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 2, reused: 0 })
    reader.read(answer([appN(1), appN(2)]))
    assert.deepStrictEqual(reader.counts(), { parsed: 0, reused: 2 })
  })
})
