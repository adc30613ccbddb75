import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { repoRoot, runCli } from "../harness/cli.ts"
import { fixtures } from "./soaTree.ts"

// The real binary over the fixture tree: stdout carries only documents, stderr only the reports
// (paths as the user gave --soa-dir), and --strict turns any report into exit 1 with no documents.
describe("mdeploy import paasta (process)", () => {
  const soaDir = relative(repoRoot, join(fixtures, "tree"))

  it("prints documents on stdout and reports on stderr; --strict refuses; --out writes one file per instance", async () => {
    const json = await runCli([
      "import",
      "paasta",
      "--soa-dir",
      soaDir,
      "--cluster",
      "norcal-devc",
      "--service",
      "legacy_api",
      "-o",
      "json"
    ], { timeoutMs: 30_000 })
    assert.strictEqual(json.code, 0, json.stderr)
    const list = JSON.parse(json.stdout) as { kind: string; items: Array<{ metadata: { name: string } }> }
    assert.deepStrictEqual(list.items.map((item) => item.metadata.name), ["legacy_api.main", "legacy_api.stopped"])
    assert.include(json.stderr, `${soaDir}/legacy_api/marathon-norcal-devc.yaml:7: marathon_shard: not mapped\n`)

    const strict = await runCli(["import", "paasta", "--soa-dir", soaDir, "--cluster", "norcal-devc", "--strict"], { timeoutMs: 30_000 })
    assert.strictEqual(strict.code, 1)
    assert.strictEqual(strict.stdout, "")
    assert.include(strict.stderr, "web/service.yaml:9: monitoring.page: not mapped")

    const out = mkdtempSync(join(tmpdir(), "mdeploy-import-"))
    try {
      const written = await runCli(
        ["import", "paasta", "--soa-dir", soaDir, "--cluster", "norcal-devc", "--service", "web", "--out", out],
        { timeoutMs: 30_000 }
      )
      assert.strictEqual(written.code, 0, written.stderr)
      assert.strictEqual(written.stdout, "")
      assert.deepStrictEqual(readdirSync(out).sort(), ["web.batch_worker.yaml", "web.canary.yaml", "web.main.yaml"])
      assert.include(readFileSync(join(out, "web.main.yaml"), "utf8"), "name: web.main\n")
      // Round trip through the real apply: every written document validates (no etcd needed).
      const applied = await runCli(["apply", "-f", out, "--dry-run=client"], { timeoutMs: 30_000 })
      assert.strictEqual(applied.code, 0, applied.stderr)
      assert.include(applied.stdout, "serviceinstance/web.canary valid (client dry run)")
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
