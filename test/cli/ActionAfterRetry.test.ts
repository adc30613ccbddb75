import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { actionAfterRetry } from "../../src/cli/commands/apply/ActionAfterRetry.ts"
import type { ApplyOutcome, StoredInstance } from "../../src/store/SpecStore.ts"

// An apply repeated after a write etcd did not answer reports what this apply did, not what the
// repeat found: a spec that moved since the first try's read was written by that first try.

const stored = (resourceVersion: string): StoredInstance => ({
  apiVersion: "mdeploy.dev/v1",
  kind: "ServiceInstance",
  metadata: { name: "web.main", uid: "u", generation: 2, resourceVersion, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { image: "web:2", instances: 3 }
})
const found = (action: ApplyOutcome["action"], resourceVersion: string): ApplyOutcome => ({ action, instance: stored(resourceVersion) })

describe("the action an apply repeated after an unanswered write reports", () => {
  it("is created when the first try found no spec and the repeat finds it as the manifest wants", () => {
    assert.strictEqual(actionAfterRetry(Option.none(), found("unchanged", "12")).action, "created")
  })
  it("is configured when the spec moved since the first try's read", () => {
    assert.strictEqual(actionAfterRetry(Option.some(stored("10")), found("unchanged", "12")).action, "configured")
  })
  it("stays unchanged when the spec is still as the first try read it", () => {
    assert.strictEqual(actionAfterRetry(Option.some(stored("10")), found("unchanged", "10")).action, "unchanged")
  })
  it("is what the repeat did when it wrote", () => {
    assert.strictEqual(actionAfterRetry(Option.some(stored("10")), found("configured", "13")).action, "configured")
    assert.strictEqual(actionAfterRetry(Option.none(), found("created", "13")).action, "created")
  })
})
