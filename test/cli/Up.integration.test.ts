import { assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { binPath, repoRoot, runCli } from "../harness/cli.ts"
import { waitUntil } from "../harness/wait.ts"

// Fixed ports, as the demo uses, but away from the default so a running `make demo` is not in the
// way, and below Linux's ephemeral range (32768+), where the free ports other tests' servers and
// clients are given come from; the config file is a temp one, never the user's.
const portBase = 20_000 + (process.pid % 4_000) * 3
const configDir = mkdtempSync(join(tmpdir(), "mdeploy-up-"))
const env = { ...process.env, MDEPLOY_CONFIG: join(configDir, "config.yaml") }

// `mdeploy up` (what `make demo` runs): the whole local stack in one process tree.

const etcdChildrenOf = (pid: number): Array<string> => {
  const listed = spawnSync("pgrep", ["-P", String(pid), "-x", "etcd"], { encoding: "utf8" })
  return listed.stdout.split("\n").filter((line) => line.trim() !== "")
}

describe("mdeploy up", () => {
  it("brings etcd, the emulator and the controller up, rolls the examples out, and Ctrl-C stops everything", async () => {
    const child = spawn(process.execPath, [binPath, "up", "--port-base", String(portBase)], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    const rolledOut = waitUntil("every example rolled out", () =>
      /web\.main\s+crossover\s+3\s+3\/3\s+Running/.test(output) &&
      /worker\.batch\s+upthendown\s+2\s+2\/2\s+Running/.test(output) && /scheduler\.main\s+downthenup\s+1\s+1\/1\s+Running/.test(output), {
      timeoutMs: 50_000
    })
    // An early exit or a timeout fails at once, with what `up` printed.
    const outcome = await Promise.race([
      rolledOut.then(() => undefined, (error: Error) => error.message),
      exited.then((code) => `mdeploy up exited ${code} before the examples were rolled out`)
    ])
    if (outcome !== undefined) {
      child.kill("SIGKILL")
      assert.fail(`${outcome}; its output:\n${output.slice(-8_000)}`)
    }
    // The status page is up, at the URL it printed, with the examples on it.
    assert.include(output, `status page     http://127.0.0.1:${portBase + 3}/`)
    const page = await fetch(`http://127.0.0.1:${portBase + 3}/`)
    assert.strictEqual(page.status, 200)
    assert.include(await page.text(), `data-instance="web.main"`)
    const etcdPids = etcdChildrenOf(child.pid!)
    assert.strictEqual(etcdPids.length, 1, "up runs its own etcd")
    child.kill("SIGINT")
    assert.strictEqual(await exited, 0, "Ctrl-C is a clean stop")
    await waitUntil("etcd stopped with it", () => etcdPids.every((pid) => spawnSync("kill", ["-0", pid]).status !== 0))
    assert.include(output, `MDEPLOY_ETCD_ENDPOINTS=http://127.0.0.1:${portBase}`)
    // The examples reached etcd through a local GitSource: a commit there is the demo's next step.
    assert.match(output, /gitsource\/examples created \(file:\/\/\S+mdeploy-up-repo-/)
  })

  it("--until-rolled-out exits 0 once the examples are rolled out, from any directory, and writes the demo context", async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [binPath, "up", "--until-rolled-out", "--timeout", "60", "--port-base", String(portBase)], {
        cwd: configDir,
        env
      })
      let output = ""
      child.stdout.on("data", (chunk) => (output += chunk))
      child.stderr.on("data", (chunk) => (output += chunk))
      child.on("exit", (code) => resolve({ code, output }))
    })
    assert.strictEqual(result.code, 0, result.output)
    assert.include(result.output, "every instance is rolled out")
    assert.include(result.output, "mdeploy get -w")
    const config = readFileSync(env.MDEPLOY_CONFIG, "utf8")
    assert.include(config, "current-context: demo")
    assert.include(config, `etcd: http://127.0.0.1:${portBase}`)
    assert.include(config, `marathon: http://127.0.0.1:${portBase + 2}`)
  })

  it("says in one line which port is taken, exit 2", async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(portBase + 2, "127.0.0.1", resolve))
    try {
      const result = await runCli(["up", "--port-base", String(portBase)], { env: { MDEPLOY_CONFIG: env.MDEPLOY_CONFIG } })
      assert.strictEqual(result.code, 2)
      assert.strictEqual(result.stdout, "")
      assert.strictEqual(
        result.stderr,
        `error: port ${
          portBase + 2
        } (Marathon emulator) is already in use on 127.0.0.1: stop what holds it (another 'mdeploy up'?) or move the demo with --port-base N\n`
      )
    } finally {
      await new Promise((resolve) => holder.close(resolve))
    }
  })
})
