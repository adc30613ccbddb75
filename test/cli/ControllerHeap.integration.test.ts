// `mdeploy controller` restarts itself once, in place (same pid), with V8 heap flags that keep its
// RSS near twice its live heap, and limits the heap's growth once it is in sync (bin/mdeploy.js
// and src/cli/ControllerHeap.ts say why); a caller's own heap flags, or
// MDEPLOY_CONTROLLER_NODE_FLAGS, win. A real controller over a real etcd and emulator.
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll } from "vitest"
import type { Stack } from "../harness/stack.ts"
import { startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ label: "controller-heap" })
})
afterAll(async () => {
  await stack?.close()
})

const nulSeparated = (path: string) => readFileSync(path, "utf8").split("\u0000").filter((entry) => entry !== "")
const inSyncLine = "settled: heap growth limited"

/**
 * The controller's command line and environment once it leads (and, when a growth limit is in its
 * environment, once it has set it), its log, and its exit code after SIGTERM.
 */
const runController = async (env: Record<string, string>) => {
  const controller = await stack.startController([], env)
  const pid = controller.process.pid!
  const exited = new Promise<number | null>((resolve) => controller.process.once("exit", (code) => resolve(code)))
  try {
    await waitUntil("the controller to lead", () => controller.logs().includes("controller leading"), { timeoutMs: 20_000 })
    const args = nulSeparated(`/proc/${pid}/cmdline`)
    const environment = nulSeparated(`/proc/${pid}/environ`)
    const expectsLimit = environment.some((entry) => entry.startsWith("MDEPLOY_CONTROLLER_HEAP_GROWTH="))
    if (expectsLimit) await waitUntil("the heap limit once in sync", () => controller.logs().includes(inSyncLine), { timeoutMs: 20_000 })
    controller.process.kill("SIGTERM")
    return { args, environment, code: await exited, logs: controller.logs() }
  } finally {
    // A failed wait must not leave a leader behind for the next test.
    await controller.kill("SIGKILL")
  }
}

describe("the controller's heap flags", () => {
  it("are set by default, in the same process, which limits its heap's growth once in sync and still stops with exit 0", async () => {
    const { args, environment, code, logs } = await runController({})
    assert.includeMembers(args, ["--max-semi-space-size=8", "--expose-gc"], args.join(" "))
    // The growth limit is not a start-up flag: a new leader filling its caches grows as V8 chooses.
    assert.isFalse(args.some((arg) => arg.startsWith("--heap-growing")), args.join(" "))
    assert.includeMembers(environment, ["MDEPLOY_CONTROLLER_HEAP_GROWTH=25", "MALLOC_MMAP_THRESHOLD_=131072"], environment.join(" "))
    assert.include(args, "controller")
    const limited = logs.split("\n").find((line) => line.includes(inSyncLine))
    assert.isDefined(limited, logs)
    assert.include(limited!, "25")
    assert.isAbove(logs.indexOf(inSyncLine), logs.indexOf("controller leading"), logs)
    assert.strictEqual(code, 0, logs)
  })

  it("give way to MDEPLOY_CONTROLLER_NODE_FLAGS, and to heap flags in NODE_OPTIONS", async () => {
    const chosen = await runController({ MDEPLOY_CONTROLLER_NODE_FLAGS: "--max-semi-space-size=4" })
    assert.include(chosen.args, "--max-semi-space-size=4")
    assert.isFalse(
      chosen.environment.some((entry) =>
        entry.startsWith("MDEPLOY_CONTROLLER_HEAP_GROWTH=") || entry.startsWith("MALLOC_MMAP_THRESHOLD_=")
      ),
      chosen.environment.join(" ")
    )
    const none = await runController({ MDEPLOY_CONTROLLER_NODE_FLAGS: "" })
    assert.isFalse(
      none.args.some((arg) => arg.startsWith("--max-semi-space-size") || arg.startsWith("--heap-growing")),
      none.args.join(" ")
    )
    const own = await runController({ NODE_OPTIONS: "--max-old-space-size=1024" })
    assert.isFalse(own.args.some((arg) => arg.startsWith("--max-semi-space-size")), own.args.join(" "))
    for (const run of [chosen, none, own]) {
      assert.notInclude(run.logs, inSyncLine)
      assert.strictEqual(run.code, 0, run.logs)
    }
  })
})
