import { assert, describe, it } from "@effect/vitest"
import { defaultOwnerId, OwnerLabel, ownerPattern, owns, withOwner } from "../../src/domain/Ownership.ts"

const mine = { owner: "team-a", adoptUnowned: false }

describe("ownership (design §11)", () => {
  it("owns only managed apps carrying this owner", () => {
    assert.isTrue(owns(mine, { MDEPLOY_MANAGED: "true", [OwnerLabel]: "team-a" }))
    assert.isFalse(owns(mine, { MDEPLOY_MANAGED: "true", [OwnerLabel]: "team-b" }))
    assert.isFalse(owns(mine, { [OwnerLabel]: "team-a" }), "an app without MDEPLOY_MANAGED is never ours")
    assert.isFalse(owns(mine, { MDEPLOY_MANAGED: "false", [OwnerLabel]: "team-a" }))
    assert.isFalse(owns(mine, undefined))
  })

  it("adopts 0.1 apps (managed, no owner) only when told to", () => {
    const old = { MDEPLOY_MANAGED: "true" }
    assert.isFalse(owns(mine, old))
    assert.isTrue(owns({ ...mine, adoptUnowned: true }, old))
    assert.isFalse(owns({ ...mine, adoptUnowned: true }, { ...old, [OwnerLabel]: "team-b" }), "adoption never takes another owner's app")
  })

  it("labels what it creates with its owner, whatever the definition said", () => {
    const labelled = withOwner({ id: "/a.b", labels: { [OwnerLabel]: "forged", team: "x" } }, "team-a")
    assert.deepStrictEqual(labelled["labels"], { [OwnerLabel]: "team-a", team: "x" })
  })

  it("derives a stable default owner per etcd cluster and prefix", () => {
    const id = defaultOwnerId("14841639068965178418", "/mdeploy/v1")
    assert.strictEqual(id, defaultOwnerId("14841639068965178418", "/mdeploy/v1"))
    assert.notStrictEqual(id, defaultOwnerId("14841639068965178418", "/staging/mdeploy/v1"))
    assert.notStrictEqual(id, defaultOwnerId("1", "/mdeploy/v1"))
    assert.match(id, ownerPattern)
  })

  it("the default owner id is the first 12 hex digits of sha256(cluster id NUL prefix)", () => {
    // Pinned: a different derivation after an upgrade would disown every app the installation made.
    assert.strictEqual(defaultOwnerId("14841639068965178418", "/mdeploy/v1"), "mdeploy-b67e760e7b5e")
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert.notStrictEqual(defaultOwnerId("ab", "c"), defaultOwnerId("a", "bc"))
  })

  it("owner ids are short lower-case label values", () => {
    for (const id of ["a", "0", "team-a", "a.b_c-d", "x".repeat(63)]) assert.match(id, ownerPattern, id)
    for (const id of ["", "-a", "a-", ".a", "a.", "Team-a", "a b", "a/b", "x".repeat(64), " a", "a "]) {
      assert.notMatch(id, ownerPattern, JSON.stringify(id))
    }
  })

  it("labels a definition that had none", () => {
    assert.deepStrictEqual(withOwner({ id: "/a.b" }, "team-a")["labels"], { [OwnerLabel]: "team-a" })
  })
})
