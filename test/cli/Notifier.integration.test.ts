// `mdeploy apply|get|describe|delete` of Notifiers with the real binary and a real etcd: stored at
// <p>/notifiers/<name>, invalid documents refused with file:line:col and field, and no output ever
// carries the endpoint's secret (urlEnv shows the variable's name; a literal URL is redacted).
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { rawGet, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
let dir: string
beforeAll(async () => {
  etcd = await startLocalEtcd()
  dir = mkdtempSync(join(tmpdir(), "mdeploy-notifier-cli-"))
})
afterAll(async () => {
  await etcd?.close()
})

const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const literal = [
  "apiVersion: mdeploy.dev/v1",
  "kind: Notifier",
  "metadata: {name: ops-generic}",
  "spec:",
  "  url: https://bot:tok3n-s3cret@hooks.example/notify",
  "  format: generic",
  "  events: [RolloutFailed, Stalled]"
].join("\n")

describe("mdeploy and Notifiers", () => {
  it("apply, get, describe, delete; secrets never printed", async () => {
    const prefix = uniquePrefix("notifier-cli")
    const env = {
      MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints,
      MDEPLOY_ETCD_PREFIX: prefix,
      PAYMENTS_SLACK_URL: "https://hooks.slack.com/services/SECRET"
    }
    const cli = (args: ReadonlyArray<string>) => runCli(args, { env })
    const applied = await cli(["apply", "-f", join("deploy", "examples", "notifier.yaml"), "-f", file("literal.yaml", literal)])
    assert.strictEqual(applied.code, 0, applied.stderr)
    assert.include(applied.stdout, "notifier/payments-slack created")
    assert.include(applied.stdout, "notifier/ops-generic created")
    assert.include((await cli(["apply", "-f", join("deploy", "examples", "notifier.yaml")])).stdout, "notifier/payments-slack unchanged")
    const stored = JSON.parse((await rawGet(etcd, `${prefix}/notifiers/payments-slack`))!) as { spec: { urlEnv: string } }
    assert.strictEqual(stored.spec.urlEnv, "PAYMENTS_SLACK_URL")

    const table = await cli(["get", "notifiers"])
    assert.strictEqual(table.code, 0, table.stderr)
    assert.match(table.stdout, /^NAME\s+FORMAT\s+ENDPOINT\s+EVENTS\s+SELECTOR\s+SIGNED\s+AGE/)
    assert.match(table.stdout, /payments-slack\s+slack\s+\$PAYMENTS_SLACK_URL\s+RolloutSucceeded,.*\s+team=payments\s+\$PAYMENTS_HMAC/)
    assert.include(table.stdout, "https://REDACTED@hooks.example/notify")
    const described = await cli(["describe", "notifier", "ops-generic"])
    assert.strictEqual(described.code, 0, described.stderr)
    assert.include(described.stdout, "Endpoint:    https://REDACTED@hooks.example/notify")
    assert.include(described.stdout, "<none recorded>")
    const yaml = await cli(["get", "notifiers", "ops-generic", "-o", "yaml"])
    for (const output of [table.stdout, described.stdout, yaml.stdout, (await cli(["get", "notifiers", "-o", "json"])).stdout]) {
      assert.notInclude(output, "tok3n-s3cret")
      assert.notInclude(output, "hooks.slack.com")
    }

    assert.strictEqual((await cli(["describe", "notifier", "nope"])).code, 4)
    assert.strictEqual((await cli(["get", "notifiers", "nope"])).code, 4)
    const deleted = await cli(["delete", "notifier", "ops-generic"])
    assert.strictEqual(deleted.code, 0, deleted.stderr)
    assert.include(deleted.stdout, "notifier/ops-generic deleted")
    assert.isUndefined(await rawGet(etcd, `${prefix}/notifiers/ops-generic`))
    assert.strictEqual((await cli(["delete", "notifier", "ops-generic"])).code, 4)
  })

  it("an invalid Notifier is refused naming file, line, column and field; nothing is written", async () => {
    const prefix = uniquePrefix("notifier-invalid")
    const cli = (args: ReadonlyArray<string>) =>
      runCli(args, { env: { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: prefix } })
    const bad = file(
      "bad.yaml",
      literal.replace("https://bot:tok3n-s3cret@hooks.example/notify", "ftp://hooks.example/x").replace(
        "[RolloutFailed, Stalled]",
        "[Stalled, Deployed]"
      )
    )
    const result = await cli(["apply", "-f", bad])
    assert.strictEqual(result.code, 1)
    assert.include(result.stderr, `${bad}:5:3: spec.url: must be an http:// or https:// URL`)
    assert.include(result.stderr, `${bad}:7:21: spec.events[1]: Expected`)
    assert.include((await cli(["get", "notifiers"])).stderr, "No Notifiers found.")
  })
})
