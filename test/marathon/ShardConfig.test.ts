import { assert, describe, it } from "@effect/vitest"
import { currentShardNames, parseShards } from "../../src/marathon/ShardConfig.ts"

describe("Marathon shard flags", () => {
  it("without shards, --marathon is the one shard named default", () => {
    assert.deepStrictEqual(parseShards({ marathonUrls: ["http://m:8080"], current: [], previous: [] }), {
      _tag: "Shards",
      shards: [{ name: "default", urls: ["http://m:8080"], retiring: false }]
    })
  })

  it("repeated flags: current shards with their URLs, previous ones retiring; --marathon is then not a shard", () => {
    const parsed = parseShards({
      marathonUrls: ["http://ignored:8080"],
      current: ["a=http://h1:8080,http://h2:8080", "b=http://h3:8080"],
      previous: ["old=http://h4:8080"]
    })
    assert.deepStrictEqual(parsed, {
      _tag: "Shards",
      shards: [
        { name: "a", urls: ["http://h1:8080", "http://h2:8080"], retiring: false },
        { name: "b", urls: ["http://h3:8080"], retiring: false },
        { name: "old", urls: ["http://h4:8080"], retiring: true }
      ]
    })
    if (parsed._tag === "Shards") assert.deepStrictEqual(currentShardNames(parsed.shards), ["a", "b"])
  })

  it("the environment: ';' between shards, ',' between one shard's URLs; flags win over it", () => {
    const env = {
      MDEPLOY_MARATHON_SHARDS: "a=http://h1:8080,http://h2:8080; b=http://h3:8080",
      MDEPLOY_PREVIOUS_MARATHON_SHARDS: "c=http://h5"
    }
    const parsed = parseShards({ marathonUrls: [], current: [], previous: [], env })
    assert.strictEqual(parsed._tag, "Shards")
    if (parsed._tag === "Shards") {
      assert.deepStrictEqual(parsed.shards.map((shard) => [shard.name, shard.urls.length, shard.retiring]), [
        ["a", 2, false],
        ["b", 1, false],
        ["c", 1, true]
      ])
    }
    const flagged = parseShards({ marathonUrls: [], current: ["z=http://z"], previous: [], env })
    if (flagged._tag === "Shards") assert.deepStrictEqual(flagged.shards.map((shard) => shard.name), ["z", "c"])
  })

  it("previous shards alone retire onto the default shard", () => {
    const parsed = parseShards({ marathonUrls: ["http://m"], current: [], previous: ["b=http://h"] })
    if (parsed._tag === "Shards") {
      assert.deepStrictEqual(parsed.shards.map((shard) => [shard.name, shard.retiring]), [["default", false], ["b", true]])
    }
  })

  it("refuses bad names, missing URLs, non-http URLs and a shard given twice, each with a line", () => {
    const parsed = parseShards({
      marathonUrls: [],
      current: ["A=http://h", "b=", "c=ftp://h", "d=http://h", "noequals"],
      previous: ["d=http://x"]
    })
    assert.strictEqual(parsed._tag, "Invalid")
    if (parsed._tag === "Invalid") assert.strictEqual(parsed.problems.length, 5, parsed.problems.join("\n"))
  })
})
