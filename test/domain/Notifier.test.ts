import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parseResources } from "../../src/cli/input/parseManifests.ts"
import { endpointOf, isHttpUrl, redactedUrl } from "../../src/domain/Notifier.ts"
import { notifierJsonSchemaText } from "../../src/domain/NotifierJsonSchema.ts"
import { notifierTable, shownNotifier } from "../../src/cli/render/NotifierView.ts"

const root = join(import.meta.dirname, "..", "..")

const problemsOf = (spec: string): Array<string> => {
  const text = `apiVersion: mdeploy.dev/v1\nkind: Notifier\nmetadata: {name: ops}\nspec:\n${spec}`
  const result = parseResources("n.yaml", text)
  return Result.isFailure(result)
    ? result.failure.map((problem) => `${problem.file}:${problem.line}:${problem.col} ${problem.path}: ${problem.message}`)
    : []
}

describe("Notifier schema", () => {
  it("schemas/notifier.v1.json is the generated schema (run `make schemas` when this fails)", () => {
    assert.strictEqual(readFileSync(join(root, "schemas", "notifier.v1.json"), "utf8"), notifierJsonSchemaText())
  })

  it("decodes deploy/examples/notifier.yaml beside ServiceInstances", () => {
    const example = readFileSync(join(root, "deploy", "examples", "notifier.yaml"), "utf8")
    const instance = readFileSync(join(root, "deploy", "examples", "web.yaml"), "utf8")
    const parsed = Result.getOrThrow(parseResources("both.yaml", `${example}\n---\n${instance}`))
    assert.deepStrictEqual(parsed.notifiers.map((entry) => entry.document.metadata.name), ["payments-slack"])
    assert.deepStrictEqual(parsed.instances.map((entry) => entry.document.metadata.name), ["web.main"])
  })

  it.each([
    ["  url: ftp://x.example/hook\n  format: slack\n  events: [Stalled]\n", "n.yaml:5:3 spec.url: must be an http:// or https:// URL"],
    ["  url: /hook\n  format: slack\n  events: [Stalled]\n", "n.yaml:5:3 spec.url: must be an http:// or https:// URL"],
    ["  urlEnv: 1BAD\n  format: slack\n  events: [Stalled]\n", "n.yaml:5:3 spec.urlEnv: must be an environment variable name"],
    ["  urlEnv: HOOK\n  format: teams\n  events: [Stalled]\n", "n.yaml:6:3 spec.format: Expected \"slack\" | \"generic\""],
    ["  urlEnv: HOOK\n  format: slack\n  events: [Stalled, AppCreated]\n", "n.yaml:7:21 spec.events[1]: Expected \"RolloutSucceeded\""],
    ["  urlEnv: HOOK\n  format: slack\n  events: []\n", "n.yaml:7:3 spec.events: must name at least one event"],
    ["  format: slack\n  events: [Stalled]\n", "spec.url: give exactly one of url and urlEnv"],
    [
      "  url: https://h/x\n  urlEnv: HOOK\n  format: slack\n  events: [Stalled]\n",
      "n.yaml:5:3 spec.url: give exactly one of url and urlEnv"
    ],
    ["  urlEnv: HOOK\n  format: slack\n  events: [Stalled]\n  secret: x\n", "n.yaml:8:3 spec.secret: unknown field"],
    ["  urlEnv: HOOK\n  format: slack\n  events: [Stalled]\n  selector: {\"bad key!\": x}\n", "n.yaml:8"]
  ])("refuses %j naming file:line:col and field", (spec, expected) => {
    const problems = problemsOf(spec)
    assert.isTrue(problems.some((problem) => problem.includes(expected)), `${expected} not in ${JSON.stringify(problems)}`)
  })

  it("URLs: http(s) only; credentials are redacted wherever a notifier is shown; urlEnv shows the name, never the value", () => {
    assert.isTrue(isHttpUrl("https://hooks.slack.com/services/T/B/x"))
    assert.isFalse(isHttpUrl("javascript:alert(1)"))
    assert.isFalse(isHttpUrl("file:///etc/passwd"))
    assert.strictEqual(redactedUrl("https://user:tok3n@h.example/x"), "https://REDACTED@h.example/x")
    assert.strictEqual(redactedUrl("https://h.example/x"), "https://h.example/x")
    assert.strictEqual(endpointOf({ urlEnv: "HOOK", format: "slack", events: ["Stalled"] }), "$HOOK")
    const stored = {
      apiVersion: "mdeploy.dev/v1" as const,
      kind: "Notifier" as const,
      metadata: { name: "ops", uid: "u", generation: 1, resourceVersion: "5", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { url: "https://user:tok3n@h.example/x", format: "generic" as const, events: ["Stalled" as const], secretEnv: "KEY" }
    }
    const table = notifierTable([stored], Date.parse("2026-01-01T01:00:00Z"))
    assert.notInclude(table, "tok3n")
    assert.match(table, /ops\s+generic\s+https:\/\/REDACTED@h\.example\/x\s+Stalled\s+<all>\s+\$KEY\s+60m/)
    assert.notInclude(JSON.stringify(shownNotifier(stored)), "tok3n")
  })
})
