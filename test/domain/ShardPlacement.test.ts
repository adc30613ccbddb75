import { assert, describe, it } from "@effect/vitest"
import { placeInstance, rendezvousShard } from "../../src/domain/ShardPlacement.ts"

const names = Array.from({ length: 2000 }, (_, i) => `svc${i % 97}.inst${i}`)
const placeAll = (shards: ReadonlyArray<string>) => new Map(names.map((name) => [name, rendezvousShard(name, shards)]))
const moved = (before: Map<string, string | undefined>, after: Map<string, string | undefined>) =>
  names.filter((name) => before.get(name) !== after.get(name))

describe("shard placement (rendezvous hashing)", () => {
  it("is stable: same answer every time and whatever the order the shards are listed in", () => {
    const shards = ["a", "b", "c", "d"]
    const first = placeAll(shards)
    assert.deepStrictEqual(placeAll(shards), first)
    assert.deepStrictEqual(placeAll([...shards].reverse()), first)
  })

  it("spreads instances about evenly", () => {
    const shards = ["a", "b", "c", "d", "e"]
    const counts = new Map<string, number>()
    for (const shard of placeAll(shards).values()) counts.set(shard!, (counts.get(shard!) ?? 0) + 1)
    for (const shard of shards) {
      const share = (counts.get(shard) ?? 0) / names.length
      assert.isAbove(share, 0.15, `${shard}: ${share}`)
      assert.isBelow(share, 0.25, `${shard}: ${share}`)
    }
  })

  it("removing one of 10 shards moves only the instances that lived on it (about 1/10)", () => {
    const shards = Array.from({ length: 10 }, (_, i) => `shard${i}`)
    const before = placeAll(shards)
    const after = placeAll(shards.filter((shard) => shard !== "shard3"))
    const movedNames = moved(before, after)
    for (const name of movedNames) assert.strictEqual(before.get(name), "shard3", name)
    assert.strictEqual(movedNames.length, names.filter((name) => before.get(name) === "shard3").length)
    assert.isAbove(movedNames.length / names.length, 0.07)
    assert.isBelow(movedNames.length / names.length, 0.13)
  })

  it("adding a shard to 3 moves about 1/4 of the instances, every one of them onto the new shard", () => {
    const before = placeAll(["a", "b", "c"])
    const after = placeAll(["a", "b", "c", "d"])
    const movedNames = moved(before, after)
    for (const name of movedNames) assert.strictEqual(after.get(name), "d", name)
    assert.isAbove(movedNames.length / names.length, 0.2)
    assert.isBelow(movedNames.length / names.length, 0.3)
  })

  it("a pin to a current shard wins over the hash", () => {
    const hashed = rendezvousShard("web.main", ["a", "b"])
    const other = hashed === "a" ? "b" : "a"
    assert.deepStrictEqual(placeInstance("web.main", ["a", "b"], other), { _tag: "Placed", shard: other, pinned: true })
    assert.deepStrictEqual(placeInstance("web.main", ["a", "b"], undefined), { _tag: "Placed", shard: hashed!, pinned: false })
  })

  it("a pin to a shard that is not current (unknown, or only being retired) is invalid, with the reason", () => {
    const placed = placeInstance("web.main", ["a", "b"], "old")
    assert.strictEqual(placed._tag, "Invalid")
    if (placed._tag === "Invalid") assert.include(placed.message, `"old" is not a current Marathon shard (current: a, b)`)
    assert.strictEqual(placeInstance("web.main", [], undefined)._tag, "Invalid")
  })

  it("one shard takes everything", () => {
    for (const name of names.slice(0, 50)) assert.strictEqual(rendezvousShard(name, ["default"]), "default")
  })
})
