import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { parseManifests } from "../../src/cli/input/parseManifests.ts"
import { drainUrlTargetProblem, drainUrlTemplateProblem } from "../../src/domain/DrainEndpoint.ts"
import { resolveSpec } from "../../src/domain/ResolvedSpec.ts"
import { formatUrl } from "../../src/drain/HttpDrain.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"

const problemsOf = (spec: string) => {
  const result = parseManifests(
    "t.yaml",
    `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: web.main\nspec:\n  image: x\n${spec}`
  )
  return Result.isFailure(result) ? result.failure.map((p) => `${p.path}: ${p.message}`) : []
}

const httpDrain = (isDraining: string, method = "GET", extra = "") =>
  `  drain:\n    method: http\n${extra}    params:\n` +
  `      drain: {urlFormat: "http://{host}:{port}/drain", method: POST}\n` +
  `      stopDraining: {urlFormat: "http://{host}:{port}/undrain", method: POST}\n` +
  `      isDraining: {urlFormat: "${isDraining}", method: ${method}}\n` +
  `      isSafeToKill: {urlFormat: "https://{host}:{port1}/safe/{task_id}"}\n`

describe("drain URL templates: only the task's own {host}:{port}", () => {
  it.each([
    "http://{host}:{port}",
    "http://{host}:{port}/",
    "http://{host}:{port}/drain/{service}/{instance}",
    "https://{host}:{port0}/x?r={registration}&ns={nerve_ns}",
    "http://{host}:{port12}?q=1",
    "http://{host}:{port}/a@b/../c"
  ])("accepts %s", (template) => {
    assert.isUndefined(drainUrlTemplateProblem(template))
  })

  it.each([
    ["Marathon's API", "http://marathon.example:8080/v2/apps/outsider.app?force=true"],
    ["another host, task's port", "http://evil.example:{port}/"],
    ["userinfo", "http://{host}@evil.example/"],
    ["userinfo with port", "http://{host}:{port}@evil.example:80/"],
    ["host suffix", "http://{host}.evil.com:{port}/"],
    ["host prefix", "http://evil{host}:{port}/"],
    ["IPv6 literal", "http://[::1]:{port}/"],
    ["IPv4 literal", "http://127.0.0.1:{port}/"],
    ["no placeholder", "http://localhost:8080/"],
    ["no port", "http://{host}/drain"],
    ["literal port", "http://{host}:8080/drain"],
    ["port arithmetic", "http://{host}:{port}0/"],
    ["other placeholder as port", "http://{host}:{service}/"],
    ["backslash", "http://{host}:{port}\\@evil.example/"],
    ["fragment trick", "http://{host}:{port}#@evil.example/"],
    ["whitespace", "http://{host}:{port} /"],
    ["leading space", " http://{host}:{port}/"],
    ["scheme", "ftp://{host}:{port}/"],
    ["upper-case scheme", "HTTP://{host}:{port}/"],
    ["scheme-relative", "//{host}:{port}/"],
    ["leading zero index", "http://{host}:{port01}/"]
  ])("refuses %s: %s", (_, template) => {
    assert.isDefined(drainUrlTemplateProblem(template))
  })

  it("schema: hostile URLs and methods are refused with the field path; GET/POST and {portN} pass", () => {
    assert.deepStrictEqual(problemsOf(httpDrain("http://{host}:{port}/draining", "GET")), [])
    const marathon = problemsOf(httpDrain("http://marathon:8080/v2/apps/outsider.app?force=true", "DELETE"))
    assert.include(marathon[0], "spec.drain.params.isDraining.urlFormat: must point at the task's own {host}:{port}")
    assert.include(marathon, "spec.drain.params.isDraining.method: only GET and POST are allowed for drain calls")
    for (const method of ["PUT", "PATCH", "HEAD"]) {
      assert.include(
        problemsOf(httpDrain("http://{host}:{port}/x", method)),
        "spec.drain.params.isDraining.method: only GET and POST are allowed for drain calls"
      )
    }
  })

  it("schema: drain.timeoutSeconds is capped at 60", () => {
    assert.deepStrictEqual(problemsOf(httpDrain("http://{host}:{port}/x", "GET", "    timeoutSeconds: 60\n")), [])
    assert.include(
      problemsOf(httpDrain("http://{host}:{port}/x", "GET", "    timeoutSeconds: 61\n")),
      "spec.drain.timeoutSeconds: must be at most 60 (drain calls are capped at 60 s)"
    )
    assert.include(
      problemsOf("  drain: {method: test, timeoutSeconds: 3600}\n"),
      "spec.drain.timeoutSeconds: must be at most 60 (drain calls are capped at 60 s)"
    )
  })

  it.each(["../admin", "a/b", "a?b", "a#b", ".", "..", ".hidden", "a b", ""])(
    "schema: hacheck registration %j is refused",
    (registration) => {
      const problems = problemsOf(`  drain: {method: hacheck, params: {registrations: [${JSON.stringify(registration)}]}}\n`)
      assert.isTrue(problems.some((p) => p.startsWith("spec.drain.params.registrations[0]: registrations are")), problems.join("\n"))
    }
  )

  it("{port} is the first port, {portN} the Nth; a missing port leaves the URL without one", () => {
    const task = { id: "t1", appId: "/a", host: "agent-7", ports: [31000, 31001], state: "TASK_RUNNING" }
    const context = { service: "web", instance: "main", registration: "web.main" }
    assert.strictEqual(formatUrl("http://{host}:{port}/{port0}/{port1}", task, context), "http://agent-7:31000/31000/31001")
    assert.strictEqual(formatUrl("http://{host}:{port2}/", task, context), "http://agent-7:/")
    assert.isDefined(drainUrlTargetProblem("http://agent-7:/", task))
  })

  it("resolved drain timeouts keep what the spec says (the cap is applied where calls are made)", () => {
    const spec = resolveSpec("web.main" as InstanceName, { image: "x", drain: { method: "test", timeoutSeconds: 30 } })
    assert.strictEqual(spec.drain.timeoutSeconds, 30)
  })
})

describe("drain URL targets: checked again once filled in", () => {
  const target = { host: "agent-7", ports: [31000, 31001] }

  it.each([
    "http://agent-7:31000/drain",
    "https://AGENT-7:31001/x?y=1",
    "http://agent-7:31000"
  ])("accepts %s", (url) => {
    assert.isUndefined(drainUrlTargetProblem(url, target))
  })

  it.each([
    ["other host", "http://marathon:8080/v2/apps/x"],
    ["task's port on another host", "http://evil.example:31000/"],
    ["userinfo", "http://agent-7@evil.example:31000/"],
    ["user and password", "http://agent-7:31000@agent-7:31000/"],
    ["host suffix", "http://agent-7.evil.com:31000/"],
    ["other port", "http://agent-7:31002/"],
    ["default port", "http://agent-7/"],
    ["backslash", "http://evil.example\\@agent-7:31000/"],
    ["scheme", "file://agent-7:31000/etc/passwd"],
    ["garbage", "not a url"]
  ])("refuses %s: %s", (_, url) => {
    assert.isDefined(drainUrlTargetProblem(url, target))
  })

  it("each refusal says what is wrong with the URL", () => {
    assert.strictEqual(drainUrlTargetProblem("not a url", target), "not a url is not a valid URL")
    assert.strictEqual(drainUrlTargetProblem("ftp://agent-7:31000/", target), "ftp://agent-7:31000/: only http and https are allowed")
    assert.strictEqual(drainUrlTargetProblem("http://u@agent-7:31000/", target), "http://u@agent-7:31000/: user information is not allowed")
    assert.strictEqual(
      drainUrlTargetProblem("http://:pw@agent-7:31000/", target),
      "http://:pw@agent-7:31000/: user information is not allowed"
    )
    assert.strictEqual(drainUrlTargetProblem("http://evil:31000/", target), "http://evil:31000/ does not point at the task's host agent-7")
    assert.strictEqual(
      drainUrlTargetProblem("http://agent-7:31002/", target),
      "http://agent-7:31002/ does not point at one of the task's ports (31000, 31001)"
    )
    assert.strictEqual(
      drainUrlTargetProblem("http://agent-7:31000/", { host: "agent-7", ports: [] }),
      "http://agent-7:31000/ does not point at one of the task's ports (none)"
    )
  })

  it("a URL without a port addresses its scheme's default port; hosts compare without case", () => {
    assert.isUndefined(drainUrlTargetProblem("http://agent-7/", { host: "agent-7", ports: [80] }))
    assert.isUndefined(drainUrlTargetProblem("https://agent-7/", { host: "agent-7", ports: [443] }))
    assert.isDefined(drainUrlTargetProblem("https://agent-7/", { host: "agent-7", ports: [80] }))
    assert.isUndefined(drainUrlTargetProblem("http://agent-7:31000/", { host: "Agent-7", ports: [31000] }))
    assert.isUndefined(drainUrlTargetProblem("http://[::1]:31000/", { host: "[::1]", ports: [31000] }))
    // Case is folded down, not up: "ß" upper-cases to "SS" but is not the host "ss".
    assert.isDefined(drainUrlTargetProblem("http://ss:31000/", { host: "ß", ports: [31000] }))
    // Brackets are dropped only around a whole host, as in an IPv6 literal.
    assert.isDefined(drainUrlTargetProblem("http://ab:31000/", { host: "a[b]", ports: [31000] }))
    assert.isDefined(drainUrlTargetProblem("http://ab:31000/", { host: "[a]b", ports: [31000] }))
  })

  it("IPv6 and port 80 tasks are addressed exactly", () => {
    assert.isUndefined(drainUrlTargetProblem("http://[::1]:31000/", { host: "::1", ports: [31000] }))
    assert.isDefined(drainUrlTargetProblem("http://[::2]:31000/", { host: "::1", ports: [31000] }))
    assert.isUndefined(drainUrlTargetProblem("http://agent-7:80/", { host: "agent-7", ports: [80] }))
  })
})
