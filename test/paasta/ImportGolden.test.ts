import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { parseManifests } from "../../src/cli/input/parseManifests.ts"
import { toYaml } from "../../src/cli/render/Documents.ts"
import { defaultMarathonFieldPolicy, marathonFieldViolations } from "../../src/domain/MarathonFieldPolicy.ts"
import { fixtures, importTree } from "./soaTree.ts"

// The whole fixture tree against reviewed golden output: what `mdeploy import paasta` prints on
// stdout and on stderr. UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
const golden = (name: string, actual: string) => {
  const file = join(fixtures, name)
  if (process.env["UPDATE_GOLDEN"] === "1" || !existsSync(file)) writeFileSync(file, actual)
  assert.strictEqual(actual, readFileSync(file, "utf8"), `${name} differs (UPDATE_GOLDEN=1 to accept)`)
}

describe("mdeploy import paasta over a soa-configs tree", () => {
  const { documents, reports, stderr } = importTree(join(fixtures, "tree"), "norcal-devc")

  it("prints the golden documents and reports", () => {
    golden("tree.golden.yaml", toYaml(documents.map(({ document }) => document)))
    golden("tree.golden.stderr", stderr)
  })

  it("imports deployed instances only: templates, other clusters and images missing from deployments.json are not", () => {
    assert.deepStrictEqual(documents.map(({ document }) => document.metadata.name), [
      "files.main",
      "legacy_api.main",
      "legacy_api.stopped",
      "web.main",
      "web.canary",
      "web.batch_worker"
    ])
    assert.isTrue(reports.some((report) => report.key === "unreleased" && report.message.includes("skipped")))
    // Nothing at all about the tree with only templates or the service of another cluster.
    assert.isFalse(reports.some((report) => /^(templates_only|elsewhere)\//.test(report.file)))
  })

  it("round-trips: what it prints is accepted by apply's own parser, except what the field policy refuses (and says so)", () => {
    const parsed = parseManifests("import.yaml", toYaml(documents.map(({ document }) => document)))
    assert.isTrue(Result.isSuccess(parsed))
    const accepted = Result.getOrThrow(parsed)
    assert.deepStrictEqual(accepted.map(({ document }) => document), documents.map(({ document }) => document))
    const refused = accepted.filter(({ document }) =>
      marathonFieldViolations(defaultMarathonFieldPolicy, document.spec.marathon).length > 0
    )
    assert.deepStrictEqual(refused.map(({ document }) => document.metadata.name), ["files.main"])
    assert.deepStrictEqual(
      reports.filter((report) => report.file === "files/marathon-norcal-devc.yaml").map((report) => `${report.line}:${report.key}`),
      ["3:extra_volumes", "5:cap_add"]
    )
  })
})
