// Spec authors stay in their lane: `mdeploy apply` (a real process against a real etcd) refuses a
// drain that would call anything but the task itself, and spec.marathon fields the operator's
// policy denies, naming file, line, column and field, and writes nothing.
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
let dir: string
beforeAll(async () => {
  etcd = await startLocalEtcd()
  dir = mkdtempSync(join(tmpdir(), "mdeploy-lanes-"))
})
afterAll(async () => {
  await etcd?.close()
})

const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const manifest = (name: string, spec: string) =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n  image: ${name}:1\n  ports: [8080]\n${spec}`

const cliFor = (label: string, extraEnv: Record<string, string> = {}) => {
  const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix(label), ...extraEnv }
  return (args: ReadonlyArray<string>) => runCli(args, { env })
}

const storedNames = async (cli: ReturnType<typeof cliFor>) => {
  const listed = await cli(["get", "-o", "json"])
  assert.strictEqual(listed.code, 0, listed.stderr)
  return (JSON.parse(listed.stdout).items as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name)
}

const hostileDrain = manifest(
  "web.main",
  [
    "  drain:",
    "    method: http",
    "    params:",
    "      drain: {urlFormat: \"http://{host}:{port}/drain\", method: POST}",
    "      stopDraining: {urlFormat: \"http://{host}:{port}/undrain\", method: POST}",
    "      isDraining:",
    "        urlFormat: \"http://marathon.example:8080/v2/apps/outsider.app?force=true\"",
    "        method: DELETE",
    "      isSafeToKill: {urlFormat: \"http://{host}@evil.example/\"}",
    ""
  ].join("\n")
)

const privileged = manifest(
  "api.main",
  ["  marathon:", "    user: root", "    container:", "      docker:", "        privileged: true", ""].join("\n")
)

const rootOnly = manifest("batch.main", ["  marathon:", "    user: root", ""].join("\n"))

describe("apply keeps spec authors in their lane (real processes, real etcd)", () => {
  it("a drain URL or method reaching beyond the task is refused with its field path; nothing is written", async () => {
    const cli = cliFor("drain")
    const path = file("drain.yaml", hostileDrain)
    const result = await cli(["apply", "-f", path])
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stderr, `${path}:14:9: spec.drain.params.isDraining.urlFormat: must point at the task's own {host}:{port}`)
    assert.include(result.stderr, `${path}:15:9: spec.drain.params.isDraining.method: only GET and POST are allowed for drain calls`)
    assert.include(result.stderr, `spec.drain.params.isSafeToKill.urlFormat: must point at the task's own {host}:{port}`)
    assert.include(result.stderr, "nothing was applied")
    assert.deepStrictEqual(await storedNames(cli), [])
  })

  it("privileged and root spec.marathon fields are refused by default; nothing of the invocation is written", async () => {
    const cli = cliFor("privileged")
    const good = file("good.yaml", manifest("good.main", ""))
    const bad = file("privileged.yaml", privileged)
    const result = await cli(["apply", "-f", good, "-f", bad])
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stderr, `${bad}:9:5: spec.marathon.user: denied by the Marathon field policy`)
    assert.include(result.stderr, `${bad}:12:9: spec.marathon.container.docker.privileged: denied by the Marathon field policy`)
    assert.deepStrictEqual(await storedNames(cli), [])
  })

  it("a policy file allowing user admits that spec, by flag or by environment, and still refuses privileged", async () => {
    const policy = file("policy.yaml", "# operators only\nallow: [user]\n")
    const cli = cliFor("allowed")
    const batch = file("batch.yaml", rootOnly)
    const refused = await cli(["apply", "-f", batch])
    assert.strictEqual(refused.code, 1)
    assert.include(refused.stderr, "spec.marathon.user: denied by the Marathon field policy")

    const accepted = await cli(["apply", "-f", batch, "--marathon-field-policy", policy])
    assert.strictEqual(accepted.code, 0, accepted.stderr)
    assert.include(accepted.stdout, "serviceinstance/batch.main created")
    assert.deepStrictEqual(await storedNames(cli), ["batch.main"])

    const viaEnv = cliFor("allowed-env", { MDEPLOY_MARATHON_FIELD_POLICY: policy })
    const bad = file("privileged2.yaml", privileged)
    const stillRefused = await viaEnv(["apply", "-f", bad])
    assert.strictEqual(stillRefused.code, 1)
    assert.notInclude(stillRefused.stderr, "spec.marathon.user")
    assert.include(stillRefused.stderr, "spec.marathon.container.docker.privileged: denied by the Marathon field policy")
    assert.strictEqual((await viaEnv(["apply", "-f", batch])).code, 0)
    assert.deepStrictEqual(await storedNames(viaEnv), ["batch.main"])
  })

  it("an unreadable or invalid policy file stops apply and the controller before they do anything", async () => {
    const cli = cliFor("badpolicy")
    const invalid = file("invalid-policy.json", JSON.stringify({ allow: ["user"], permit: ["everything"] }))
    const applied = await cli(["apply", "-f", file("batch2.yaml", rootOnly), "--marathon-field-policy", invalid])
    assert.strictEqual(applied.code, 2)
    assert.include(applied.stderr, `${invalid}: permit: unknown field`)
    assert.deepStrictEqual(await storedNames(cli), [])

    const controller = await cli(["controller", "--marathon-field-policy", join(dir, "missing.yaml")])
    assert.strictEqual(controller.code, 2)
    assert.include(controller.stderr, "--marathon-field-policy")
  })
})
