import { assert, describe, it } from "@effect/vitest"
import { revisionAnnotation, sourceAnnotation } from "../../src/domain/GitSource.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { ServiceInstance } from "../../src/domain/ServiceInstance.ts"
import type { StoredView } from "../../src/gitops/SyncPlan.ts"
import { ownedDocument, planSync } from "../../src/gitops/SyncPlan.ts"

const doc = (name: string, image = "web:1"): ServiceInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: name as InstanceName },
  spec: { image, instances: 1 }
})

const stored = (name: string, owner: string | undefined, image = "web:1"): StoredView => {
  const base = doc(name, image)
  return owner === undefined ? base : ownedDocument(owner, base)
}

const names = (count: number) => Array.from({ length: count }, (_, index) => `svc${index}.main`)

describe("planSync", () => {
  it("writes new and changed specs only, with the owner annotation; unchanged ones are left alone", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("a.main"), doc("b.main", "web:2"), doc("c.main")],
      stored: [stored("b.main", "prod"), stored("c.main", "prod")],
      prune: true,
      massPruneApproved: false
    })
    assert.deepStrictEqual(plan.writes.map((write) => write.document.metadata.name), ["a.main", "b.main"])
    assert.deepStrictEqual(plan.unchanged, ["c.main"])
    assert.strictEqual(plan.writes[0]!.document.metadata.annotations?.[sourceAnnotation], "prod")
    assert.deepStrictEqual(plan.inventory, ["a.main", "b.main", "c.main"])
  })

  it("written specs carry the revision and commit subject; a new commit alone rewrites nothing", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("a.main", "web:2"), doc("b.main")],
      stored: [stored("a.main", "prod"), {
        ...stored("b.main", "prod"),
        metadata: { ...stored("b.main", "prod").metadata, annotations: { [sourceAnnotation]: "prod", [revisionAnnotation]: "old Old" } }
      }],
      prune: true,
      massPruneApproved: false,
      revision: "abc123 Raise web"
    })
    assert.deepStrictEqual(plan.writes.map((write) => write.document.metadata.name), ["a.main"])
    assert.strictEqual(plan.writes[0]!.document.metadata.annotations?.[revisionAnnotation], "abc123 Raise web")
    assert.deepStrictEqual(plan.unchanged, ["b.main"])
  })

  it("a one-file change writes exactly one spec", () => {
    const all = names(50)
    const plan = planSync({
      source: "prod",
      desired: all.map((name, index) => doc(name, index === 7 ? "web:2" : "web:1")),
      stored: all.map((name) => stored(name, "prod")),
      prune: true,
      massPruneApproved: false
    })
    assert.strictEqual(plan.writes.length, 1)
    assert.strictEqual(plan.writes[0]!.document.metadata.name, "svc7.main")
  })

  it("never overwrites a hand-applied spec or another source's: conflicts", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("hand.main", "web:9"), doc("other.main", "web:9")],
      stored: [stored("hand.main", undefined), stored("other.main", "staging")],
      prune: true,
      massPruneApproved: false
    })
    assert.deepStrictEqual(plan.writes, [])
    assert.deepStrictEqual(plan.conflicts, [{ name: "hand.main", owner: undefined }, { name: "other.main", owner: "staging" }])
    assert.deepStrictEqual(plan.inventory, [])
  })

  it("reverts a hand edit of its own spec", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("a.main", "web:1")],
      stored: [stored("a.main", "prod", "web:edited")],
      prune: true,
      massPruneApproved: false
    })
    assert.strictEqual(plan.writes.length, 1)
  })

  it("prunes what the inventory lost, only its own specs", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("a.main"), doc("b.main"), doc("c.main")],
      stored: [
        stored("a.main", "prod"),
        stored("b.main", "prod"),
        stored("c.main", "prod"),
        stored("gone.main", "prod"),
        stored("hand.main", undefined),
        stored("x.main", "staging")
      ],
      prune: true,
      massPruneApproved: false
    })
    assert.deepStrictEqual(plan.prune, ["gone.main"])
    assert.isUndefined(plan.pruneRefused)
  })

  it("prune: false keeps lost specs in the inventory and deletes nothing", () => {
    const plan = planSync({
      source: "prod",
      desired: [doc("a.main")],
      stored: [stored("a.main", "prod"), stored("b.main", "prod")],
      prune: false,
      massPruneApproved: false
    })
    assert.deepStrictEqual(plan.prune, [])
    assert.deepStrictEqual(plan.inventory, ["a.main", "b.main"])
  })

  it("refuses an empty desired set and a prune of more than half, unless approved", () => {
    const owned = names(10).map((name) => stored(name, "prod"))
    const empty = planSync({ source: "prod", desired: [], stored: owned, prune: true, massPruneApproved: false })
    assert.deepStrictEqual(empty.prune, [])
    assert.match(empty.pruneRefused ?? "", /no ServiceInstances/)
    assert.strictEqual(empty.inventory.length, 10)

    const keep4 = names(4).map((name) => doc(name))
    const sixty = planSync({ source: "prod", desired: keep4, stored: owned, prune: true, massPruneApproved: false })
    assert.deepStrictEqual(sixty.prune, [])
    assert.match(sixty.pruneRefused ?? "", /6 of 10/)

    const approved = planSync({ source: "prod", desired: keep4, stored: owned, prune: true, massPruneApproved: true })
    assert.strictEqual(approved.prune.length, 6)
    assert.isUndefined(approved.pruneRefused)

    // Exactly half is allowed.
    const half = planSync({
      source: "prod",
      desired: names(5).map((name) => doc(name)),
      stored: owned,
      prune: true,
      massPruneApproved: false
    })
    assert.strictEqual(half.prune.length, 5)
  })

  it("remembers comparisons by object identity: an unchanged document and spec are not compared again", () => {
    const given = doc("a.main", "web:2")
    const current = stored("a.main", "prod", "web:1")
    const memo = new WeakMap<object, WeakMap<object, boolean>>()
    const first = planSync({ source: "prod", desired: [given], stored: [current], prune: true, massPruneApproved: false, memo })
    assert.strictEqual(first.writes.length, 1)
    assert.isFalse(memo.get(given)?.get(current))
    // The answer is taken from the memo for the same two objects (here forced, to show it is used) ...
    memo.get(given)!.set(current, true)
    assert.deepStrictEqual(
      planSync({ source: "prod", desired: [given], stored: [current], prune: true, massPruneApproved: false, memo }).unchanged,
      ["a.main"]
    )
    // ... and a new revision of the spec is a new object, compared afresh.
    const rewritten = stored("a.main", "prod", "web:1")
    assert.strictEqual(
      planSync({ source: "prod", desired: [given], stored: [rewritten], prune: true, massPruneApproved: false, memo }).writes.length,
      1
    )
  })
})
