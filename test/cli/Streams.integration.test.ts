import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { runCli } from "../harness/cli.ts"
import type { Stack } from "../harness/stack.ts"
import { manifest, startStack } from "../harness/stack.ts"

// stdout carries only what was asked for; logs are one logfmt line each on stderr; usage errors
// are one line and exit 2; signals stop the controller cleanly (exit 0).

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ label: "streams" })
})
afterAll(async () => {
  await stack?.close()
})

const logfmtLine = /^time=\S+ level=[A-Z]+ msg=/
const unreachable = "http://127.0.0.1:9"

describe("mdeploy output streams and exit codes (real processes, real etcd)", () => {
  it("reconcile --dry-run -o json prints only the plan document on stdout, logs on stderr", async () => {
    const applied = await stack.cli(["apply", "-f", "-"], manifest("web.main", { image: "web:1", instances: 2 }))
    assert.strictEqual(applied.code, 0, applied.stderr)
    // An unreachable Mesos makes the reconcile log a warning: it must not reach stdout.
    const result = await stack.cli(["reconcile", "web.main", "--dry-run", "-o", "json", "--mesos", unreachable])
    assert.strictEqual(result.code, 0, result.stderr)
    const document = JSON.parse(result.stdout)
    assert.strictEqual(document.plan.name, "web.main")
    assert.deepStrictEqual(document.plan.actions.map((action: { type: string }) => action.type), ["createApp"])
    const lines = result.stderr.trimEnd().split("\n").filter((line) => line !== "")
    assert.isAbove(lines.length, 0)
    for (const line of lines) assert.match(line, logfmtLine)
  })

  it("MDEPLOY_LOG_FORMAT=json makes every stderr line a JSON record", async () => {
    const json = await runCli(["reconcile", "web.main", "--dry-run", "-o", "json", "--mesos", unreachable], {
      env: { ...stack.env, MDEPLOY_LOG_FORMAT: "json" }
    })
    assert.strictEqual(json.code, 0, json.stderr)
    JSON.parse(json.stdout)
    const lines = json.stderr.trimEnd().split("\n").filter((line) => line !== "")
    assert.isAbove(lines.length, 0)
    for (const line of lines) assert.isString(JSON.parse(line).msg)
  })

  it("reconcile of an unknown name exits 4", async () => {
    for (const args of [["reconcile", "nope.main"], ["reconcile", "nope.main", "--dry-run", "-o", "json"]]) {
      const result = await stack.cli(args)
      assert.strictEqual(result.code, 4, args.join(" "))
      assert.strictEqual(result.stdout, "")
      assert.include(result.stderr, "error: serviceinstance \"nope.main\" not found")
    }
  })

  it("a usage error is one line on stderr with a hint, exit 2, nothing on stdout", async () => {
    for (const args of [["apply", "--bogus"], ["get", "-o", "xml"], ["rollout"], ["rollout", "status"]]) {
      const result = await stack.cli(args)
      assert.strictEqual(result.code, 2, args.join(" "))
      assert.strictEqual(result.stdout, "", args.join(" "))
      const lines = result.stderr.trimEnd().split("\n")
      assert.strictEqual(lines.length, 1, result.stderr)
      assert.match(lines[0]!, /^error: .+ \(run 'mdeploy .*--help'\)$/)
    }
  })

  it("a -o value a command cannot print is refused with exit 2", async () => {
    for (
      const args of [["describe", "web.main"], ["delete", "web.main"], ["rollout", "status", "web.main"], ["rollout", "pause", "web.main"]]
    ) {
      const result = await stack.cli([...args, "-o", "json"])
      assert.strictEqual(result.code, 2, args.join(" "))
      assert.strictEqual(result.stdout, "")
      assert.match(result.stderr.trim(), /^error: -o json is not supported by 'mdeploy [a-z ]+' \(supported: table(, name)?\)$/)
    }
    const diffed = await stack.cli(["diff", "-f", "-", "-o", "yaml"], manifest("web.main", { image: "web:1", instances: 2 }))
    assert.strictEqual(diffed.code, 2)
    // The refused delete deleted nothing.
    assert.strictEqual((await stack.cli(["get", "web.main"])).code, 0)
    // What each command supports still works.
    assert.strictEqual((await stack.cli(["rollout", "history", "web.main", "-o", "yaml"])).code, 0)
    JSON.parse((await stack.cli(["apply", "-f", "-", "-o", "json"], manifest("web.main", { image: "web:1", instances: 2 }))).stdout)
  })

  it("SIGTERM and SIGINT stop the controller with exit 0; its stdout stays empty", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const controller = await stack.startController()
      let stdout = ""
      controller.process.stdout!.on("data", (chunk) => (stdout += chunk))
      const exited = new Promise<number | null>((resolve) => controller.process.once("exit", (code) => resolve(code)))
      controller.process.kill(signal)
      assert.strictEqual(await exited, 0, `${signal}: ${controller.logs()}`)
      assert.strictEqual(stdout, "")
      for (const line of controller.logs().trimEnd().split("\n")) assert.match(line, logfmtLine)
    }
  })
})
