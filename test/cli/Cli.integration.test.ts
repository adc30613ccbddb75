import { assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { parse } from "yaml"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

let etcd: EtcdCluster
let dir: string
beforeAll(async () => {
  etcd = await startLocalEtcd()
  dir = mkdtempSync(join(tmpdir(), "mdeploy-cli-"))
})
afterAll(async () => {
  await etcd?.close()
})

const manifest = (name: string, image: string, extra = "") =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n  instances: 2\n${extra}`

const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A CLI bound to its own key prefix, so each test starts from an empty store. */
const cliFor = (label: string) => {
  const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix(label) }
  return (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
}

describe("mdeploy CLI (real processes, real etcd)", () => {
  it("applies a directory, reports unchanged on re-apply, and lists the instances", async () => {
    const cli = cliFor("apply")
    const first = await cli(["apply", "-f", join("deploy", "examples")])
    assert.strictEqual(first.code, 0, first.stderr)
    assert.include(first.stdout, "serviceinstance/web.main created")
    const again = await cli(["apply", "-f", join("deploy", "examples")])
    assert.include(again.stdout, "serviceinstance/web.main unchanged")
    const table = await cli(["get"])
    assert.strictEqual(table.code, 0)
    assert.match(table.stdout, /^NAME\s+METHOD\s+DESIRED\s+READY\s+PHASE\s+AGE/)
    assert.match(table.stdout, /web\.main\s+crossover\s+3\s+-\s+Pending/)
  })

  it("writes nothing when any document is invalid, naming file, line and field", async () => {
    const cli = cliFor("invalid")
    const good = file("good.yaml", manifest("good.main", "good:1"))
    const bad = file("bad.yaml", manifest("bad.main", "bad:1", "  cpus: -1\n  surprise: true\n"))
    const result = await cli(["apply", "-f", good, "-f", bad])
    assert.strictEqual(result.code, 1)
    assert.include(result.stderr, `${bad}:8:3: spec.cpus: Expected a value greater than 0`)
    assert.include(result.stderr, `${bad}:9:3: spec.surprise: unknown field`)
    assert.notInclude(result.stderr, "    at ")
    const listed = await cli(["get", "-o", "json"])
    assert.deepStrictEqual(JSON.parse(listed.stdout).items, [])
  })

  it("refuses duplicate names, alias bombs and files over 1 MiB", async () => {
    const cli = cliFor("limits")
    const twice = file("twice.yaml", `${manifest("web.main", "a")}---\n${manifest("web.main", "b")}`)
    const duplicate = await cli(["apply", "-f", twice])
    assert.strictEqual(duplicate.code, 1)
    assert.include(duplicate.stderr, "metadata.name: duplicate name web.main")

    const bombLines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for (const [level, previous] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
      bombLines.push(`${level}: &${level} [${Array(9).fill(`*${previous}`).join(", ")}]`)
    }
    const bomb = await cli(["apply", "-f", file("bomb.yaml", `${bombLines.join("\n")}\n`)])
    assert.strictEqual(bomb.code, 1)
    assert.include(bomb.stderr, "Excessive alias count")

    const huge = file("huge.yaml", `${manifest("huge.main", "x")}# ${"x".repeat(1024 * 1024)}\n`)
    const tooBig = await cli(["apply", "-f", huge])
    assert.strictEqual(tooBig.code, 1)
    assert.include(tooBig.stderr, "over the 1 MiB limit")
  })

  it("stops reading endless inputs at 1 MiB: /dev/zero, a FIFO written for ever, stdin", async () => {
    const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix("endless") }
    // Reading any of these whole never ends (and grows without bound); a bounded read answers at once.
    const endless = (args: ReadonlyArray<string>, stdinPath?: string) =>
      runCli(args, { env, timeoutMs: 20_000, ...(stdinPath === undefined ? {} : { stdinPath }) })
    const zero = await endless(["apply", "-f", "/dev/zero"])
    assert.strictEqual(zero.code, 1, zero.stderr)
    assert.include(zero.stderr, "/dev/zero:1:1: input is over the 1 MiB limit")

    const fifo = join(dir, "endless.fifo")
    assert.strictEqual(spawnSync("mkfifo", [fifo]).status, 0)
    const writer = spawn("sh", ["-c", `exec cat /dev/zero > '${fifo}'`], { stdio: "ignore" })
    try {
      const piped = await endless(["apply", "-f", fifo])
      assert.strictEqual(piped.code, 1, piped.stderr)
      assert.include(piped.stderr, "over the 1 MiB limit")
    } finally {
      writer.kill("SIGKILL")
    }

    const stdin = await endless(["apply", "-f", "-"], "/dev/zero")
    assert.strictEqual(stdin.code, 1, stdin.stderr)
    assert.include(stdin.stderr, "<stdin>:1:1: input is over the 1 MiB limit")
    assert.deepStrictEqual(JSON.parse((await runCli(["get", "-o", "json"], { env })).stdout).items, [])
  })

  it("detects a stale resourceVersion (exit 3) and round-trips get -o yaml through apply -f -", async () => {
    const cli = cliFor("conflict")
    await cli(["apply", "-f", "-"], manifest("api.main", "api:1"))
    const printed = await cli(["get", "api.main", "-o", "yaml"])
    assert.strictEqual(printed.code, 0)
    const document = parse(printed.stdout)
    assert.strictEqual(document.metadata.generation, 1)

    const reapplied = await cli(["apply", "-f", "-"], printed.stdout)
    assert.strictEqual(reapplied.code, 0, reapplied.stderr)
    assert.include(reapplied.stdout, "unchanged")

    await cli(["apply", "-f", "-"], manifest("api.main", "api:2"))
    const stale = await cli(["apply", "-f", "-"], printed.stdout.replace("image: api:1", "image: api:3"))
    assert.strictEqual(stale.code, 3)
    assert.include(stale.stderr, "api.main: conflict")
    const forced = await cli(["apply", "--force-conflicts", "-f", "-"], printed.stdout.replace("image: api:1", "image: api:3"))
    assert.strictEqual(forced.code, 0, forced.stderr)
    const final = parse((await cli(["get", "api.main", "-o", "yaml"])).stdout)
    assert.strictEqual(final.spec.image, "api:3")
    assert.strictEqual(final.metadata.generation, 3)
  })

  it("diff exits 0 when equal, 1 with differences, 2 on invalid input", async () => {
    const cli = cliFor("diff")
    const path = file("diff.yaml", manifest("web.main", "web:1"))
    await cli(["apply", "-f", path])
    assert.strictEqual((await cli(["diff", "-f", path])).code, 0)
    const changed = await cli(["diff", "-f", file("diff2.yaml", manifest("web.main", "web:2"))])
    assert.strictEqual(changed.code, 1)
    assert.include(changed.stdout, "-  image: web:1\n+  image: web:2")
    const invalid = await cli(["diff", "-f", file("diff3.yaml", "spec: [\n")])
    assert.strictEqual(invalid.code, 2)
  })

  it("get, describe and delete exit 4 for unknown names", async () => {
    const cli = cliFor("notfound")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const get = await cli(["get", "web.main", "nope.main"])
    assert.strictEqual(get.code, 4)
    assert.include(get.stdout, "web.main")
    assert.include(get.stderr, "serviceinstance \"nope.main\" not found")
    assert.strictEqual((await cli(["describe", "nope.main"])).code, 4)
    const described = await cli(["describe", "web.main"])
    assert.strictEqual(described.code, 0)
    assert.include(described.stdout, "Status:  <not reconciled yet>")
    const deleted = await cli(["delete", "web.main", "nope.main"])
    assert.strictEqual(deleted.code, 4)
    assert.include(deleted.stdout, "serviceinstance/web.main deleted")
    assert.strictEqual((await cli(["get", "web.main"])).code, 4)
  })

  it("selects by label", async () => {
    const cli = cliFor("labels")
    await cli(["apply", "-f", "-"], `${manifest("a.main", "a")}  \n`.replace("metadata:\n", "metadata:\n  labels: {team: x}\n"))
    await cli(["apply", "-f", "-"], manifest("b.main", "b").replace("metadata:\n", "metadata:\n  labels: {team: y}\n"))
    const selected = await cli(["get", "-l", "team in (x),team!=z", "-o", "json"])
    assert.deepStrictEqual(JSON.parse(selected.stdout).items.map((item: any) => item.metadata.name), ["a.main"])
    const badSelector = await cli(["get", "-l", "team in"])
    assert.strictEqual(badSelector.code, 2)
  })

  it("authenticates to an etcd with auth enabled, and says so in one line when it cannot", async () => {
    const secured = await startLocalEtcd()
    try {
      const post = (path: string, body: unknown) => fetch(`${secured.endpoints}${path}`, { method: "POST", body: JSON.stringify(body) })
      await post("/v3/auth/user/add", { name: "root", password: "s3cret" })
      await post("/v3/auth/user/grant", { user: "root", role: "root" })
      assert.isTrue((await post("/v3/auth/enable", {})).ok)
      const env = { MDEPLOY_ETCD_ENDPOINTS: secured.endpoints }
      const anonymous = await runCli(["get"], { env })
      assert.strictEqual(anonymous.code, 2)
      assert.include(anonymous.stderr, "authentication failed or missing")
      const wrong = await runCli(["get"], { env: { ...env, MDEPLOY_ETCD_USER: "root", MDEPLOY_ETCD_PASSWORD: "nope" } })
      assert.strictEqual(wrong.code, 2)
      const right = await runCli(["apply", "-f", "-"], {
        env: { ...env, MDEPLOY_ETCD_USER: "root", MDEPLOY_ETCD_PASSWORD: "s3cret" },
        stdin: manifest("web.main", "web:1")
      })
      assert.strictEqual(right.code, 0, right.stderr)
    } finally {
      await secured.close()
    }
  })

  it("says which etcd endpoint it cannot reach, in one line, with exit 2", async () => {
    const result = await runCli(["get"], { env: { MDEPLOY_ETCD_ENDPOINTS: "http://127.0.0.1:9" } })
    assert.strictEqual(result.code, 2)
    assert.strictEqual(result.stderr.trim().split("\n").length, 1)
    assert.include(result.stderr, "etcd http://127.0.0.1:9")
  })
})
