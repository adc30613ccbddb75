import { assert, describe, it } from "@effect/vitest"
import { gitSourceDescription, gitSourceTable } from "../../src/cli/render/GitSourceView.ts"
import { instanceTable } from "../../src/cli/render/InstanceTable.ts"
import type { GitSourceStatus } from "../../src/domain/GitSource.ts"
import { sourceAnnotation } from "../../src/domain/GitSource.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import type { StoredGitSource } from "../../src/store/GitSourceStore.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"

const metadata = { uid: "u", generation: 2, resourceVersion: "9", creationTimestamp: "2026-01-01T00:00:00.000Z" }
const source: StoredGitSource = {
  apiVersion: "mdeploy.dev/v1",
  kind: "GitSource",
  metadata: { name: "prod", ...metadata },
  spec: { url: "https://git.example/specs.git", ref: { tag: "v1.4.0" }, path: "clusters/prod" }
}
const status: GitSourceStatus = {
  observedGeneration: 2,
  lastAppliedRevision: "a".repeat(40),
  lastAttemptedRevision: "b".repeat(40),
  inventory: ["web.main", "api.main"],
  conflicts: ["x.main: owned by gitsource other"],
  firstInvalid: { file: "clusters/prod/x.yaml", line: 8, col: 3, path: "spec.cpus", message: "Expected a value greater than 0" },
  conditions: [{
    type: "Ready",
    status: "False",
    reason: "ValidationFailed",
    message: "bad",
    lastTransitionTime: "2026-01-01T00:01:00.000Z"
  }],
  history: [{
    revision: "b".repeat(40),
    subject: "break it",
    author: "Ada <ada@example.org>",
    startedAt: "2026-01-01T00:01:00.000Z",
    durationMs: 42,
    written: 0,
    unchanged: 0,
    pruned: 0,
    result: "Invalid"
  }]
}

describe("GitSource views", () => {
  it("lists sources with readiness, revision and inventory size", () => {
    const table = gitSourceTable([{ source, status }], Date.parse("2026-01-01T00:10:00.000Z"))
    assert.match(table, /^NAME\s+URL\s+REF\s+READY\s+REASON\s+REVISION\s+SPECS\s+AGE$/m)
    assert.match(table, /prod\s+https:\/\/git\.example\/specs\.git\s+tag v1\.4\.0\s+False\s+ValidationFailed\s+aaaaaaaaaaaa\s+2\s+10m/)
  })

  it("describes the first invalid document by file, line and field, conflicts and history", () => {
    const text = gitSourceDescription(source, status)
    assert.include(text, "First invalid: clusters/prod/x.yaml:8:3: spec.cpus: Expected a value greater than 0")
    assert.include(text, "x.main: owned by gitsource other")
    assert.include(text, "Inventory:     2 spec(s)")
    assert.match(text, /bbbbbbbbbbbb\s+Invalid\s+42ms\s+0\s+0\s+0\s+Ada <ada@example\.org>\s+break it/)
  })

  it("get -o wide names each instance's source", () => {
    const instance = (name: string, owner?: string): StoredInstance => ({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: name as InstanceName, ...metadata, ...(owner === undefined ? {} : { annotations: { [sourceAnnotation]: owner } }) },
      spec: { image: "x" }
    })
    const table = instanceTable(
      [{ instance: instance("web.main", "prod"), status: undefined }, { instance: instance("hand.main"), status: undefined }],
      true,
      0
    )
    assert.match(table, /SOURCE$/m)
    assert.match(table, /^web\.main .* prod$/m)
    assert.match(table, /^hand\.main .* -$/m)
  })
})
