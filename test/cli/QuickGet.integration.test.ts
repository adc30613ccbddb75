// The quick `get` (src/cli/QuickGet.ts) answers exactly as the full parser does: the same stdout,
// stderr and exit code, for every form it takes, on a real etcd through the real binary. Ages
// are masked: the two runs may straddle a second.
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
let env: Record<string, string>
beforeAll(async () => {
  etcd = await startLocalEtcd()
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-quick-get-"))
  const spec = (name: string, labels: string) =>
    `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\n  labels: {${labels}}\nspec:\n  image: nginx:1\n  instances: 2\n`
  writeFileSync(join(dir, "specs.yaml"), [spec("web.main", "team: web"), spec("db.main", "team: data, tier: db")].join("---\n"))
  env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix("quick-get"), MDEPLOY_CONFIG: join(dir, "none.yaml") }
  const applied = await runCli(["apply", "-f", join(dir, "specs.yaml")], { env })
  assert.strictEqual(applied.code, 0, applied.stderr)
})
afterAll(async () => {
  await etcd?.close()
})

const masked = (text: string) => text.replace(/\b\d+[smhd]\b/g, "<age>").replace(/"\d{4}-\d\d-\d\dT[^"]*"/g, "<time>")

describe("quick get", () => {
  it.each(
    [
      [["get"]],
      [["get", "-owide"]],
      [["get", "-o", "name"]],
      [["get", "-o=json"]],
      [["get", "web.main", "-o", "json"]],
      [["get", "--output", "yaml"]],
      [["get", "serviceinstances/db.main", "--show-labels"]],
      [["get", "-l", "team=data"]],
      [["get", "-l", "team=nobody"]],
      [["get", "web.main", "nope.main"]],
      [["get", "-l", "team in ("]],
      [["get", "--etcd-prefix", "/nothing-here"]],
      [["get", "--etcd", "http://127.0.0.1:9"]]
    ] as const
  )("%j prints and exits as the full parser does", async (args) => {
    const quick = await runCli(args, { env })
    const parsed = await runCli(args, { env: { ...env, MDEPLOY_QUICK_GET: "0" } })
    assert.strictEqual(quick.code, parsed.code, `${quick.stderr}\n---\n${parsed.stderr}`)
    assert.strictEqual(masked(quick.stdout), masked(parsed.stdout))
    assert.strictEqual(masked(quick.stderr), masked(parsed.stderr))
  })
})
