// `mdeploy controller` restarts itself once, in place (same pid), with V8 heap flags that keep its
// RSS near twice its live heap (bin/mdeploy.js says why); a caller's own heap flags, or
// MDEPLOY_CONTROLLER_NODE_FLAGS, win. A real controller over a real etcd and emulator.
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll } from "vitest"
import type { Stack } from "../harness/stack.ts"
import { startStack } from "../harness/stack.ts"

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ label: "controller-heap" })
})
afterAll(async () => {
  await stack?.close()
})

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\u0000").filter((arg) => arg !== "")

/** The controller's command line once it serves, and its exit code after SIGTERM. */
const runController = async (env: Record<string, string>) => {
  const controller = await stack.startController([], env)
  const pid = controller.process.pid!
  const args = commandLine(pid)
  const exited = new Promise<number | null>((resolve) => controller.process.once("exit", (code) => resolve(code)))
  controller.process.kill("SIGTERM")
  return { args, code: await exited, logs: controller.logs() }
}

describe("the controller's heap flags", () => {
  it("are set by default, in the same process, which still stops with exit 0", async () => {
    const { args, code, logs } = await runController({})
    assert.includeMembers(args, ["--max-semi-space-size=8", "--heap-growing-percent=25"], args.join(" "))
    assert.include(args, "controller")
    assert.strictEqual(code, 0, logs)
  })

  it("give way to MDEPLOY_CONTROLLER_NODE_FLAGS, and to heap flags in NODE_OPTIONS", async () => {
    const chosen = await runController({ MDEPLOY_CONTROLLER_NODE_FLAGS: "--max-semi-space-size=4" })
    assert.include(chosen.args, "--max-semi-space-size=4")
    assert.notInclude(chosen.args, "--heap-growing-percent=25")
    const none = await runController({ MDEPLOY_CONTROLLER_NODE_FLAGS: "" })
    assert.isFalse(
      none.args.some((arg) => arg.startsWith("--max-semi-space-size") || arg.startsWith("--heap-growing")),
      none.args.join(" ")
    )
    const own = await runController({ NODE_OPTIONS: "--max-old-space-size=1024" })
    assert.isFalse(own.args.some((arg) => arg.startsWith("--max-semi-space-size")), own.args.join(" "))
    for (const run of [chosen, none, own]) assert.strictEqual(run.code, 0, run.logs)
  })
})
