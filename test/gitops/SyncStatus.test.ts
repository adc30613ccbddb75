import { assert, describe, it } from "@effect/vitest"
import type { Attempt } from "../../src/gitops/SyncStatus.ts"
import { nextStatus } from "../../src/gitops/SyncStatus.ts"

const attempt = (overrides: Partial<Attempt>): Attempt => ({
  generation: 1,
  result: "Synced",
  message: "ok",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:01.000Z",
  durationMs: 1000,
  revision: { commit: "a".repeat(40), subject: "one", author: "A <a@x>" },
  written: 1,
  unchanged: 0,
  pruned: 0,
  inventory: ["a.main"],
  ...overrides
})

describe("nextStatus", () => {
  it("records revisions, Ready, and history with subject and author", () => {
    const status = nextStatus(undefined, attempt({}))
    assert.strictEqual(status.lastAppliedRevision, "a".repeat(40))
    assert.strictEqual(status.conditions.find((condition) => condition.type === "Ready")?.status, "True")
    assert.deepStrictEqual(status.history.map((entry) => [entry.subject, entry.author, entry.durationMs]), [["one", "A <a@x>", 1000]])
  })

  it("an invalid revision keeps the applied one and names the file", () => {
    const first = nextStatus(undefined, attempt({}))
    const invalid = nextStatus(
      first,
      attempt({
        result: "Invalid",
        revision: { commit: "b".repeat(40), subject: "two", author: "B" },
        firstInvalid: { file: "x.yaml", line: 7, col: 3, path: "spec.cpus", message: "bad" },
        written: 0,
        inventory: undefined
      })
    )
    assert.strictEqual(invalid.lastAppliedRevision, "a".repeat(40))
    assert.strictEqual(invalid.lastAttemptedRevision, "b".repeat(40))
    assert.deepStrictEqual(invalid.firstInvalid, { file: "x.yaml", line: 7, col: 3, path: "spec.cpus", message: "bad" })
    assert.deepStrictEqual(invalid.inventory, ["a.main"])
    assert.strictEqual(invalid.conditions.find((condition) => condition.type === "Ready")?.reason, "ValidationFailed")
  })

  it("counts failures for the backoff and resets them on success; keeps 10 syncs, skips unchanged polls", () => {
    let status = nextStatus(undefined, attempt({ result: "FetchFailed", message: "unreachable", revision: undefined }))
    status = nextStatus(status, attempt({ result: "FetchFailed", message: "unreachable", revision: undefined }))
    assert.strictEqual(status.failures, 2)
    assert.strictEqual(status.history.length, 1)
    status = nextStatus(status, attempt({}))
    assert.isUndefined(status.failures)
    const before = status.history.length
    status = nextStatus(status, attempt({ result: "Unchanged" }))
    assert.strictEqual(status.history.length, before)
    for (let index = 0; index < 20; index++) {
      status = nextStatus(status, attempt({ revision: { commit: String(index).padStart(40, "0"), subject: "s", author: "a" } }))
    }
    assert.strictEqual(status.history.length, 10)
  })
})
