import { assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { binPath, repoRoot, runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { startTcpGate } from "../harness/tcpGate.ts"
import { waitUntil } from "../harness/wait.ts"

// kubectl's spellings, as a kubectl user types them, against a real etcd.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const manifest = (name: string, labels: string) =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\n  labels: {${labels}}\nspec:\n  image: ${name}:1\n  instances: 2\n`
const three = [manifest("web.main", "team: a, tier: front"), manifest("web.canary", "team: a"), manifest("batch.main", "team: b")].join(
  "---\n"
)

const envFor = (label: string, endpoints = etcd.endpoints) => ({
  MDEPLOY_ETCD_ENDPOINTS: endpoints,
  MDEPLOY_ETCD_PREFIX: uniquePrefix(label)
})

/** A long-running `mdeploy` whose output the test reads as it comes. */
const start = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1", ...env } })
  const output = { stdout: "", stderr: "", code: undefined as number | null | undefined }
  child.stdout.on("data", (chunk) => (output.stdout += chunk))
  child.stderr.on("data", (chunk) => (output.stderr += chunk))
  child.on("close", (code) => (output.code = code))
  return { child, output }
}

describe("kubectl habits (real processes, real etcd)", () => {
  it("-owide, -o name, --show-labels, kind words and kind/name, version, completion of names", async () => {
    const env = envFor("habits")
    const cli = (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
    assert.strictEqual(
      (await cli(["apply", "-f", "-", "-o", "name"], three)).stdout,
      "serviceinstance/web.main\nserviceinstance/web.canary\nserviceinstance/batch.main\n"
    )
    for (const args of [["get", "serviceinstances", "-owide"]]) {
      const result = await cli(args)
      assert.strictEqual(result.code, 0, `${args.join(" ")}: ${result.stderr}`)
      assert.match(
        result.stdout,
        /^NAME\s+METHOD\s+DESIRED\s+READY\s+PHASE\s+AGE\s+GEN\s+OBSERVED\s+IMAGE\s+APP\s+SHARD\s+SOURCE\n/,
        args.join(" ")
      )
      assert.strictEqual(result.stdout.trimEnd().split("\n").length, 4, args.join(" "))
    }
    assert.strictEqual((await cli(["get", "-o", "name", "-l", "team=a"])).stdout, "serviceinstance/web.canary\nserviceinstance/web.main\n")
    const labelled = await cli(["get", "serviceinstance", "web.main", "batch.main", "--show-labels"])
    assert.match(labelled.stdout, /^NAME\s+.*AGE\s+LABELS\n/)
    assert.match(labelled.stdout, /web\.main\s+.*\s+team=a,tier=front\n/)
    assert.match(labelled.stdout, /batch\.main\s+.*\s+team=b\n/)
    const kindName = await cli(["get", "serviceinstances/web.main", "si/batch.main", "-o", "name"])
    assert.strictEqual(kindName.stdout, "serviceinstance/web.main\nserviceinstance/batch.main\n")
    assert.strictEqual((await cli(["version"])).stdout, "mdeploy v0.1.0\n")

    // Completion of instance names, in bash, through the `mdeploy` on PATH.
    const onPath = mkdtempSync(join(tmpdir(), "mdeploy-path-"))
    symlinkSync(binPath, join(onPath, "mdeploy"))
    const script = (await cli(["completion", "bash"])).stdout
    const completed = spawnSync("bash", [
      "-c",
      `${script}\nCOMP_WORDS=(mdeploy rollout status web.); COMP_CWORD=3; _mdeploy; echo "\${COMPREPLY[@]}"`
    ], {
      env: { ...process.env, ...env, PATH: `${onPath}:${process.env["PATH"]}` },
      encoding: "utf8"
    })
    assert.strictEqual(completed.stdout, "web.canary web.main\n", completed.stderr)
  })

  it("delete -l, --ignore-not-found and --all, each one transaction", async () => {
    const env = envFor("delete")
    const cli = (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
    await cli(["apply", "-f", "-"], three)
    const bySelector = await cli(["delete", "-l", "team=a,tier!=front"])
    assert.strictEqual(bySelector.code, 0, bySelector.stderr)
    assert.strictEqual(bySelector.stdout, "serviceinstance/web.canary deleted\n")
    const missing = await cli(["delete", "web.canary", "batch.main"])
    assert.strictEqual(missing.code, 4)
    assert.strictEqual(missing.stdout, "serviceinstance/batch.main deleted\n")
    assert.strictEqual((await cli(["delete", "web.canary", "--ignore-not-found"])).code, 0)
    const all = await cli(["delete", "--all", "-o", "name"])
    assert.strictEqual(all.stdout, "serviceinstance/web.main\n")
    assert.strictEqual((await cli(["delete", "--all"])).code, 0, "nothing left to delete is not an error")
  })

  it("get -w prints the table, then a line per change; SIGTERM exits 0 and a lost etcd exits 2 with one line", async () => {
    const env = envFor("watch")
    await runCli(["apply", "-f", "-"], { env, stdin: three })
    const watching = start(["get", "-w"], env)
    await waitUntil("the table", () => watching.output.stdout.split("\n").length >= 5)
    assert.match(watching.output.stdout, /^NAME\s+METHOD/)
    assert.strictEqual((await runCli(["scale", "web.main", "--replicas", "5"], { env })).code, 0)
    await waitUntil("the changed row", () => /\nweb\.main\s+crossover\s+5\s/.test(watching.output.stdout))
    assert.strictEqual(watching.output.stdout.trimEnd().split("\n").length, 5, "one line for one change")
    watching.child.kill("SIGTERM")
    await waitUntil("the watch to stop", () => watching.output.code !== undefined)
    assert.strictEqual(watching.output.code, 0, watching.output.stderr)

    const gate = await startTcpGate(etcd.endpoints)
    try {
      const lost = start(["get", "--watch"], { ...env, MDEPLOY_ETCD_ENDPOINTS: gate.url })
      await waitUntil("the table", () => lost.output.stdout.includes("batch.main"))
      gate.cut()
      await waitUntil("the watch to end", () => lost.output.code !== undefined, { timeoutMs: 30_000 })
      assert.strictEqual(lost.output.code, 2, lost.output.stderr)
      const lines = lost.output.stderr.trimEnd().split("\n")
      assert.strictEqual(lines.length, 1, lost.output.stderr)
      assert.match(lines[0]!, /^error: lost etcd while watching: etcd /)
    } finally {
      await gate.close()
    }
  })

  it("contexts: set-context --use, then flags > environment > context; a broken file names line and field", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "mdeploy-config-")), "config.yaml")
    const prefix = uniquePrefix("context")
    const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}, stdin?: string) =>
      runCli(args, { env: { MDEPLOY_CONFIG: config, ...env }, ...(stdin === undefined ? {} : { stdin }) })
    const set = await cli(["config", "set-context", "local", "--etcd", etcd.endpoints, "--etcd-prefix", prefix, "--use"])
    assert.strictEqual(set.code, 0, set.stderr)
    assert.strictEqual(
      (await cli(["apply", "-f", "-", "-o", "name"], {}, manifest("web.main", "team: a"))).stdout,
      "serviceinstance/web.main\n"
    )
    // An environment variable wins over the context, and a flag over both.
    const other = uniquePrefix("context-env")
    assert.strictEqual((await cli(["get", "-o", "name"], { MDEPLOY_ETCD_PREFIX: other })).stdout, "")
    assert.strictEqual(
      (await cli(["get", "-o", "name", "--etcd-prefix", prefix], { MDEPLOY_ETCD_PREFIX: other })).stdout,
      "serviceinstance/web.main\n"
    )
    assert.match((await cli(["config", "get-contexts"])).stdout, /^CURRENT\s+NAME.*\n\*\s+local\s+http/)
    assert.include(readFileSync(config, "utf8"), "current-context: local")
    writeFileSync(config, `current-context: local\ncontexts:\n  local:\n    etcd: ${etcd.endpoints}\n  broken:\n    etcd-prefx: /x\n`)
    const broken = await cli(["get"])
    assert.strictEqual(broken.code, 2)
    assert.match(broken.stderr, new RegExp(`^error: ${config}:6:5: contexts\\.broken\\.etcd-prefx: unknown field`))
  })
})
