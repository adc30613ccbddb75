import { assert, describe, it } from "@effect/vitest"
import { cleanupVerdict } from "../../src/controller/CleanupGuard.ts"

const input = (specsSynced: boolean) => ({
  specNames: new Set<string>(),
  specsSynced,
  managedInstances: new Set(["a.main", "b.main"]),
  force: false
})

describe("cleanup guard (design §11)", () => {
  it("refuses every tear-down until the spec list is loaded: until then every instance looks deleted", () => {
    assert.deepStrictEqual(cleanupVerdict(input(false)), { allowed: false, reason: "the spec list is not loaded yet" })
    // --force lifts the deletion budget, never this: an unloaded list proves nothing was deleted.
    assert.deepStrictEqual(cleanupVerdict({ ...input(false), force: true }), { allowed: false, reason: "the spec list is not loaded yet" })
  })

  it("once loaded, leaves the decision to the deletion budget", () => {
    assert.deepStrictEqual(cleanupVerdict(input(true)), { allowed: true })
  })
})
