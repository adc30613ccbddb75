import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parseResources } from "../../src/cli/input/parseManifests.ts"
import { gitSourceJsonSchemaText } from "../../src/domain/GitSourceJsonSchema.ts"

const root = join(import.meta.dirname, "..", "..")

const problemsOf = (spec: string): Array<string> => {
  const text = `apiVersion: mdeploy.dev/v1\nkind: GitSource\nmetadata: {name: prod}\nspec:\n${spec}`
  const result = parseResources("s.yaml", text)
  return Result.isFailure(result)
    ? result.failure.map((problem) => `${problem.line}:${problem.col} ${problem.path}: ${problem.message}`)
    : []
}

describe("GitSource schema", () => {
  it("schemas/gitsource.v1.json is the generated schema (run `make schemas` when this fails)", () => {
    assert.strictEqual(readFileSync(join(root, "schemas", "gitsource.v1.json"), "utf8"), gitSourceJsonSchemaText())
  })

  it("decodes deploy/gitops/gitsource.yaml, and GitSources beside ServiceInstances in one file", () => {
    const example = readFileSync(join(root, "deploy", "gitops", "gitsource.yaml"), "utf8")
    const instance = readFileSync(join(root, "deploy", "examples", "web.yaml"), "utf8")
    const parsed = parseResources("both.yaml", `${example}\n---\n${instance}`)
    assert.isTrue(Result.isSuccess(parsed), JSON.stringify(Result.isFailure(parsed) ? parsed.failure : []))
    const { instances, sources } = Result.getOrThrow(parsed)
    assert.deepStrictEqual(sources.map((source) => source.document.metadata.name), ["prod-specs"])
    assert.deepStrictEqual(instances.map((entry) => entry.document.metadata.name), ["web.main"])
  })

  it.each([
    ["  url: https://user:pw@git.example/x.git\n", "5:3 spec.url: must not contain a password"],
    ["  url: --upload-pack=evil\n", "5:3 spec.url: must not start with \"-\""],
    ["  url: ext::sh -c evil\n", "5:3 spec.url: must be an https://"],
    ["  url: /repo\n  ref: {branch: -x}\n", "6:9 spec.ref.branch: must not start with \"-\""],
    ["  url: /repo\n  path: ../etc\n", "6:3 spec.path: must be a relative path inside the repository"],
    ["  url: /repo\n  interval: soon\n", "6:3 spec.interval: must be a duration"],
    ["  url: /repo\n  token: x\n", "6:3 spec.token: unknown field"],
    ["  url: /repo\n  format: paasta\n", "5:3 spec.paasta: format paasta needs paasta: {cluster: NAME}"],
    ["  url: /repo\n  paasta: {cluster: norcal}\n", "6:3 spec.paasta: only with format: paasta"],
    ["  url: /repo\n  format: paasta\n  paasta: {cluster: Bad Name}\n", "7:12 spec.paasta.cluster: must be a PaaSTA cluster name"]
  ])("rejects %j with its path", (spec, expected) => {
    assert.isTrue(problemsOf(spec).some((problem) => problem.startsWith(expected)), problemsOf(spec).join("\n"))
  })
})
