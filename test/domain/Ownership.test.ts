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
})
