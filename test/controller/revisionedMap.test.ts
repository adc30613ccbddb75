import { assert, describe, it } from "@effect/vitest"
import { RevisionedMap } from "../../src/controller/internal/revisionedMap.ts"

describe("RevisionedMap", () => {
  it("keeps the newest revision: a late watch event never undoes a write-through", () => {
    const map = new RevisionedMap<string>()
    map.set("web.main", "written", "12")
    map.set("web.main", "older event", "11")
    assert.strictEqual(map.get("web.main"), "written")
    map.set("web.main", "newer event", "13")
    assert.strictEqual(map.get("web.main"), "newer event")
  })

  it("records deletions as entries, so an older put cannot resurrect a deleted key", () => {
    const map = new RevisionedMap<string>()
    map.set("a", "x", "5")
    map.set("a", undefined, "7")
    map.set("a", "stale", "6")
    assert.isUndefined(map.get("a"))
    assert.deepStrictEqual(map.keys(), [])
  })

  it("compares revisions as numbers, not strings", () => {
    const map = new RevisionedMap<string>()
    map.set("k", "at 10", "10")
    map.set("k", "at 9", "9")
    assert.strictEqual(map.get("k"), "at 10")
  })
})
