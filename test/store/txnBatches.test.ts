import { assert, describe, it } from "@effect/vitest"
import { txnBatches } from "../../src/store/internal/txnBatches.ts"
import type { TxnWrite } from "../../src/store/internal/txnBatches.ts"

const write = (key: string, extra: Partial<TxnWrite> = {}): TxnWrite & { readonly id: string } => ({
  id: key,
  keys: [key],
  compares: 1,
  operations: 2,
  bytes: 100,
  group: "",
  ...extra
})
const ids = (batches: ReadonlyArray<ReadonlyArray<{ readonly id: string }>>) => batches.map((batch) => batch.map((item) => item.id))
const limits = { operations: 6, bytes: 1_000 }

describe("txnBatches", () => {
  it("fills each transaction up to the larger of compares and operations", () => {
    const writes = ["a", "b", "c", "d", "e", "f", "g"].map((key) => write(key))
    assert.deepStrictEqual(ids(txnBatches(writes, limits)), [["a", "b", "c"], ["d", "e", "f"], ["g"]])
    const fenced = ["a", "b", "c"].map((key) => write(key, { compares: 4, operations: 1 }))
    assert.deepStrictEqual(ids(txnBatches(fenced, limits)), [["a"], ["b"], ["c"]])
  })

  it("cuts at the byte limit, and a write over it alone goes alone", () => {
    const writes = [write("a", { bytes: 600 }), write("b", { bytes: 600 }), write("c", { bytes: 5_000 }), write("d")]
    assert.deepStrictEqual(ids(txnBatches(writes, limits)), [["a"], ["b"], ["c"], ["d"]])
  })

  it("never puts one key twice in a transaction, and keeps the order given", () => {
    const writes = [write("a"), write("b"), { ...write("a"), id: "a again" }, write("c")]
    assert.deepStrictEqual(ids(txnBatches(writes, limits)), [["a", "b"], ["a again", "c"]])
  })

  it("groups only writes of one group", () => {
    const writes = [write("a"), write("b", { group: "fenced" }), write("c", { group: "fenced" }), write("d")]
    assert.deepStrictEqual(ids(txnBatches(writes, limits)), [["a"], ["b", "c"], ["d"]])
  })

  it("makes no transaction of nothing", () => {
    assert.deepStrictEqual(txnBatches([], limits), [])
  })
})
