import { assert, describe, it } from "@effect/vitest"
import { Option, Result } from "effect"
import { deploymentFor, parseDeploymentsJson } from "../../src/paasta/DeploymentsJson.ts"
import { formatReport } from "../../src/paasta/ImportPaasta.ts"
import { importFiles } from "./soaTree.ts"

const v2 = (deployments: Record<string, unknown>, controls: Record<string, unknown> = {}) =>
  JSON.stringify({ v2: { deployments, controls } })

const image = "services-svc:paasta-0123456789abcdef0123456789abcdef01234567"
const deployed = v2({ "c1.main": { docker_image: image, git_sha: "0123456789abcdef0123456789abcdef01234567" } })

const specOf = (files: Record<string, string>) => {
  const result = importFiles("svc", files)
  assert.strictEqual(result.documents.length, 1, result.reports.map(formatReport).join("\n"))
  return { spec: result.documents[0]!.document.spec, reports: result.reports.map(formatReport) }
}

describe("deployments.json", () => {
  const key = { service: "svc", cluster: "c1", instance: "main", deployGroup: "c1.main" }

  it("v1: image and controls from the service:paasta-<group> branch, git sha from the image tag", () => {
    const file = Result.getOrThrow(parseDeploymentsJson(JSON.stringify({
      v1: { "svc:paasta-c1.main": { docker_image: image, desired_state: "stop", force_bounce: "x1" } }
    })))
    assert.deepStrictEqual(Option.getOrThrow(deploymentFor(file, key)), {
      dockerImage: image,
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      desiredState: "stop",
      forceBounce: "x1"
    })
  })

  it("v2 wins when both are present; controls are keyed by service:cluster.instance, not by deploy group", () => {
    const file = Result.getOrThrow(parseDeploymentsJson(JSON.stringify({
      v1: { "svc:paasta-c1.main": { docker_image: "old:paasta-aaaa" } },
      v2: {
        deployments: { "shared": { docker_image: "new:tag", git_sha: "bbbbbbbb" } },
        controls: { "svc:c1.main": { desired_state: "stop", force_bounce: null } }
      }
    })))
    assert.deepStrictEqual(Option.getOrThrow(deploymentFor(file, { ...key, deployGroup: "shared" })), {
      dockerImage: "new:tag",
      gitSha: "bbbbbbbb",
      desiredState: "stop",
      forceBounce: undefined
    })
    // v2 present but without the group: not deployed, even though v1 has it.
    assert.isTrue(Option.isNone(deploymentFor(file, key)))
  })

  it("a file that is not JSON or has the wrong shape is reported, and no instance is imported", () => {
    assert.isTrue(Result.isFailure(parseDeploymentsJson("{")))
    const result = importFiles("svc", {
      "marathon-c1.yaml": "main: {}\n",
      "deployments.json": JSON.stringify({ v2: { deployments: { "c1.main": { docker_image: 7 } } } })
    })
    assert.deepStrictEqual(result.documents, [])
    assert.deepStrictEqual(result.reports.map((report) => `${report.file}:${report.key}`), [
      "svc/deployments.json:deployments.json",
      "svc/marathon-c1.yaml:main"
    ])
  })
})

describe("importService", () => {
  it("merges service.yaml under the instance deeply and reports a service.yaml key at its own line", () => {
    const { reports, spec } = specOf({
      "service.yaml": "description: x\nenv: {A: '1', B: '2'}\nbounce_health_params: {check_haproxy: false}\n",
      "marathon-c1.yaml": "main:\n  env: {B: '3'}\n",
      "deployments.json": deployed
    })
    assert.deepStrictEqual(spec.env, { A: "1", B: "3" })
    assert.deepStrictEqual(reports, ["svc/service.yaml:3: bounce_health_params.check_haproxy: not mapped"])
  })

  it("a key inherited through a YAML merge key is reported at the <<, an own key at its line", () => {
    const { reports, spec } = specOf({
      "marathon-c1.yaml": "_t: &t\n  gpus: 1\n  cpus: 3\nmain:\n  <<: *t\n  marathon_shard: 2\n",
      "deployments.json": deployed
    })
    assert.strictEqual(spec.cpus, 3)
    assert.deepStrictEqual(reports, ["svc/marathon-c1.yaml:5: gpus: not mapped", "svc/marathon-c1.yaml:6: marathon_shard: not mapped"])
  })

  it("PaaSTA's defaults are written out; a SmartStack namespace brings the HTTP check and hacheck drain", () => {
    const { spec } = specOf({
      "marathon-c1.yaml": "main: {}\n",
      "smartstack.yaml": "main: {proxy_port: 20000}\n",
      "deployments.json": deployed
    })
    assert.deepStrictEqual(
      { cpus: spec.cpus, mem: spec.mem, disk: spec.disk, instances: spec.instances, ports: spec.ports },
      { cpus: 1, mem: 4096, disk: 1024, instances: 1, ports: [8888] }
    )
    assert.deepStrictEqual(spec.healthCheck, { protocol: "MESOS_HTTP", path: "/status" })
    assert.deepStrictEqual(spec.drain, { method: "hacheck", params: { delay: 60 } })
    // Explicit empty params replace PaaSTA's default entirely (hacheck then waits its own 240 s).
    const explicit = specOf({
      "marathon-c1.yaml": "main: {drain_method_params: {}}\n",
      "smartstack.yaml": "main: {proxy_port: 20000}\n",
      "deployments.json": deployed
    })
    assert.deepStrictEqual(explicit.spec.drain, { method: "hacheck", params: {} })
  })

  it("constraints are used verbatim and make the keys PaaSTA would have added reported", () => {
    const { reports, spec } = specOf({
      "marathon-c1.yaml": "main:\n  constraints: [[hostname, UNIQUE]]\n  pool: big\n",
      "deployments.json": deployed
    })
    assert.deepStrictEqual(spec.constraints, [["hostname", "UNIQUE"]])
    assert.deepStrictEqual(reports, ["svc/marathon-c1.yaml:3: pool: not mapped (ignored because constraints is set, as PaaSTA does)"])
  })

  it("an instance the schema refuses is reported with the field and skipped; a wrong-typed key is reported and ignored", () => {
    const result = importFiles("svc", {
      "marathon-c1.yaml": "main:\n  cmd: run\n  args: [x]\nother:\n  instances: many\n",
      "deployments.json": v2({
        "c1.main": { docker_image: image },
        "c1.other": { docker_image: image }
      })
    })
    assert.deepStrictEqual(result.documents.map(({ document }) => document.metadata.name), ["svc.other"])
    assert.deepStrictEqual(result.reports.map(formatReport), [
      "svc/marathon-c1.yaml:1: main: spec.args: cmd and args are mutually exclusive; skipped",
      "svc/marathon-c1.yaml:5: instances: expected a number; ignored"
    ])
  })

  it("YAML that does not parse, or aliases past the bound, is reported at its line and imports nothing", () => {
    const broken = importFiles("svc", { "marathon-c1.yaml": "main:\n  cpus: [1\n", "deployments.json": deployed })
    assert.deepStrictEqual(broken.documents, [])
    assert.strictEqual(broken.reports[0]!.file, "svc/marathon-c1.yaml")
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ..."bcd".split("").map((name, index) => `${name}: &${name} [${Array(10).fill(`*${"abc"[index]}`).join(", ")}]`)
    ].join("\n")
    const bombed = importFiles("svc", { "marathon-c1.yaml": `${bomb}\nmain: {env: {X: *d}}\n`, "deployments.json": deployed })
    assert.deepStrictEqual(bombed.documents, [])
    assert.strictEqual(bombed.reports.length, 1)
  })
})
