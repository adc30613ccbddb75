import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { parseManifests } from "../../src/cli/input/parseManifests.ts"
import { parseMarathonFieldPolicy } from "../../src/cli/input/readFieldPolicy.ts"
import { MarathonFields } from "../../src/controller/MarathonFields.ts"

describe("Marathon field policy files", () => {
  it("YAML and JSON decode to allow and deny lists; an empty file is the built-in policy", () => {
    assert.deepStrictEqual(
      Result.getOrThrow(parseMarathonFieldPolicy("p.yaml", "allow: [user, labels.HAPROXY_*]\ndeny:\n  - constraints\n")),
      {
        allow: ["user", "labels.HAPROXY_*"],
        deny: ["constraints"]
      }
    )
    assert.deepStrictEqual(Result.getOrThrow(parseMarathonFieldPolicy("p.json", "{\"deny\": [\"env\"]}")), { allow: [], deny: ["env"] })
    assert.deepStrictEqual(Result.getOrThrow(parseMarathonFieldPolicy("p.yaml", "")), { allow: [], deny: [] })
  })

  it.each([
    ["allow: user\n", "p.yaml: allow: Expected array"],
    ["allow: [\"a..b\"]\n", "p.yaml: allow[0]: must be a dotted field path"],
    ["allow: [\"*\"]\n", "p.yaml: allow[0]: must be a dotted field path"],
    ["permit: [user]\n", "p.yaml: permit: unknown field (allow and deny only)"],
    ["allow: [a]\nallow: [b]\n", "p.yaml: Map keys must be unique"],
    ["allow: [\n", "p.yaml: "]
  ])("refuses %j", (text, expected) => {
    const parsed = parseMarathonFieldPolicy("p.yaml", text)
    assert.isTrue(Result.isFailure(parsed))
    assert.isTrue(Result.isFailure(parsed) && parsed.failure.some((line) => line.startsWith(expected)), JSON.stringify(parsed))
  })
})

describe("MarathonFields service", () => {
  it.effect("answers with the policy it was built from; the default layer has the built-in denials", () =>
    Effect.gen(function*() {
      const fields = yield* MarathonFields
      assert.deepStrictEqual(fields.violations({ user: "root" }), [])
      assert.deepStrictEqual(fields.violations({ user: "root", container: { docker: { privileged: true } } }).map((v) => v.path), [
        "spec.marathon.container.docker.privileged"
      ])
      const builtIn = yield* Effect.provide(MarathonFields, MarathonFields.layerDefault)
      assert.deepStrictEqual(builtIn.violations({ user: "root" }).map((v) => v.path), ["spec.marathon.user"])
    }).pipe(Effect.provide(MarathonFields.layer({ allow: ["user"], deny: [] }))))
})

describe("parseManifests with a caller's check", () => {
  it("reports each refusal at the refused field and keeps the document out", () => {
    const text =
      "apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: web.main\nspec:\n  image: x\n  marathon: {user: root}\n"
    const refused = parseManifests("t.yaml", text, () => [{ path: ["spec", "marathon", "user"], message: "no" }])
    assert.deepStrictEqual(Result.isFailure(refused) ? refused.failure : [], [{
      file: "t.yaml",
      line: 7,
      col: 14,
      path: "spec.marathon.user",
      message: "no"
    }])
    assert.isTrue(Result.isSuccess(parseManifests("t.yaml", text, () => [])))
  })
})
