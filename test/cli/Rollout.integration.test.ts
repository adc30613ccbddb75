import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { afterAll, beforeAll } from "vitest"
import { parse } from "yaml"
import type { InstanceStatus } from "../../src/domain/InstanceStatus.ts"
import type { Fence } from "../../src/store/StatusStore.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import { binPath, repoRoot, runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import { waitUntil } from "../harness/wait.ts"

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const manifest = (name: string, image: string, extra = "") =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n  instances: 3\n${extra}`

/** A CLI on its own key prefix, plus a status writer fenced by a key of that prefix. */
const setup = async (label: string) => {
  const prefix = uniquePrefix(label)
  const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: prefix }
  const cli = (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
  const fenceKey = `${prefix}/test-fence`
  const put = await rawPut(etcd, fenceKey, "held")
  const fence: Fence = { key: fenceKey, createRevision: String(put.header.revision) }
  const putStatus = (name: string, status: InstanceStatus) =>
    Effect.runPromise(
      Effect.gen(function*() {
        yield* (yield* StatusStore).put(name, status, [fence])
      }).pipe(Effect.provide(StatusStore.layerNoDeps.pipe(Layer.provide(etcdLayer(etcd, prefix)))))
    )
  const spec = async (name: string) => parse((await cli(["get", name, "-o", "yaml"])).stdout)
  /** Starts the CLI and exposes its output while it runs. */
  const start = (args: ReadonlyArray<string>) => {
    const child = spawn(process.execPath, [binPath, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1", ...env } })
    const output = { stdout: "", stderr: "" }
    child.stdout.on("data", (chunk) => (output.stdout += chunk))
    child.stderr.on("data", (chunk) => (output.stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
    return { output, exited }
  }
  return { cli, putStatus, spec, start }
}

const tasks = (happyNew: number) => ({ desired: 3, happyNew, oldHappy: 3 - happyNew, oldUnhappy: 0, draining: 0, atRisk: 0 })

describe("mdeploy rollout (real processes, real etcd)", () => {
  it("restart bumps the generation and sets a new forceBounce", async () => {
    const { cli, spec } = await setup("restart")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const first = await cli(["rollout", "restart", "web.main"])
    assert.strictEqual(first.code, 0, first.stderr)
    assert.strictEqual(first.stdout.trim(), "serviceinstance/web.main restarted")
    const once = await spec("web.main")
    assert.strictEqual(once.metadata.generation, 2)
    assert.isFalse(Number.isNaN(Date.parse(once.spec.forceBounce)))
    await cli(["rollout", "restart", "web.main"])
    const twice = await spec("web.main")
    assert.strictEqual(twice.metadata.generation, 3)
    assert.notStrictEqual(twice.spec.forceBounce, once.spec.forceBounce)
    assert.strictEqual(twice.spec.image, "web:1")
  })

  it("pause and resume set spec.paused and are idempotent", async () => {
    const { cli, spec } = await setup("pause")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    assert.strictEqual((await cli(["rollout", "pause", "web.main"])).stdout.trim(), "serviceinstance/web.main paused")
    assert.strictEqual((await spec("web.main")).spec.paused, true)
    const again = await cli(["rollout", "pause", "web.main"])
    assert.strictEqual(again.code, 0)
    assert.strictEqual(again.stdout.trim(), "serviceinstance/web.main already paused")
    assert.strictEqual((await spec("web.main")).metadata.generation, 2)
    assert.strictEqual((await cli(["rollout", "resume", "web.main"])).stdout.trim(), "serviceinstance/web.main resumed")
    const resumed = await spec("web.main")
    assert.strictEqual(resumed.spec.paused, false)
    assert.strictEqual(resumed.metadata.generation, 3)
    assert.strictEqual((await cli(["rollout", "resume", "web.main"])).code, 0)
    assert.strictEqual((await spec("web.main")).metadata.generation, 3)
  })

  it("lists history and undoes to the previous or a chosen revision as a new generation", async () => {
    const { cli, spec } = await setup("undo")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    await cli(["apply", "-f", "-"], manifest("web.main", "web:2"))
    const table = await cli(["rollout", "history", "web.main"])
    assert.strictEqual(table.code, 0, table.stderr)
    assert.match(
      table.stdout.trimEnd(),
      /^REVISION\s+RECORDED\s+IMAGE\s+CHANGES\n1\s+\S+\s+web:1\s+created\n2 \(current\)\s+\S+\s+web:2\s+image$/
    )

    const undone = await cli(["rollout", "undo", "web.main"])
    assert.strictEqual(undone.code, 0, undone.stderr)
    assert.strictEqual(undone.stdout.trim(), "serviceinstance/web.main rolled back to revision 1")
    const restored = await spec("web.main")
    assert.strictEqual(restored.spec.image, "web:1")
    assert.strictEqual(restored.metadata.generation, 3)

    const chosen = await cli(["rollout", "undo", "web.main", "--to-revision", "2"])
    assert.strictEqual(chosen.stdout.trim(), "serviceinstance/web.main rolled back to revision 2")
    assert.strictEqual((await spec("web.main")).spec.image, "web:2")

    const json = JSON.parse((await cli(["rollout", "history", "web.main", "-o", "json"])).stdout)
    assert.deepStrictEqual(json.map((entry: any) => [entry.revision, entry.image, entry.current]), [
      [1, "web:1", false],
      [2, "web:2", false],
      [3, "web:1", false],
      [4, "web:2", true]
    ])
    const unknown = await cli(["rollout", "undo", "web.main", "--to-revision", "9"])
    assert.strictEqual(unknown.code, 1)
    assert.strictEqual(unknown.stderr.trim(), "error: serviceinstance/web.main has no revision 9 (kept: 1, 2, 3, 4)")
  })

  it("records a revision only when the app changes: pause/resume cycles keep the real images, undo restores the image", async () => {
    const { cli, spec } = await setup("history-identity")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    await cli(["apply", "-f", "-"], manifest("web.main", "web:2"))
    for (let cycle = 0; cycle < 5; cycle++) {
      assert.strictEqual((await cli(["rollout", "pause", "web.main"])).code, 0)
      assert.strictEqual((await cli(["rollout", "resume", "web.main"])).code, 0)
    }
    assert.strictEqual((await spec("web.main")).metadata.generation, 12)
    const kept = JSON.parse((await cli(["rollout", "history", "web.main", "-o", "json"])).stdout)
    assert.deepStrictEqual(kept.map((entry: any) => [entry.revision, entry.image, entry.current]), [[1, "web:1", false], [
      2,
      "web:2",
      true
    ]])
    assert.match(kept[1].appId, /^\/web\.main\.gitunknown\.config[0-9a-f]{8}$/)

    // Undo while paused: the image of revision 1 comes back, the pause stays.
    await cli(["rollout", "pause", "web.main"])
    const undone = await cli(["rollout", "undo", "web.main"])
    assert.strictEqual(undone.stdout.trim(), "serviceinstance/web.main rolled back to revision 1", undone.stderr)
    const restored = await spec("web.main")
    assert.deepStrictEqual(restored.spec, { image: "web:1", instances: 3, paused: true })
    const after = JSON.parse((await cli(["rollout", "history", "web.main", "-o", "json"])).stdout)
    assert.deepStrictEqual(after.map((entry: any) => [entry.revision, entry.image, entry.current]), [
      [1, "web:1", false],
      [2, "web:2", false],
      [14, "web:1", true]
    ])
    assert.strictEqual(after[2].appId, kept[0].appId)
  })

  it("history --revision N shows one revision in full", async () => {
    const { cli } = await setup("history-revision")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    await cli(["apply", "-f", "-"], manifest("web.main", "web:2", "  env:\n    MODE: fast\n"))
    const shown = await cli(["rollout", "history", "web.main", "--revision", "2"])
    assert.strictEqual(shown.code, 0, shown.stderr)
    assert.match(
      shown.stdout,
      /^serviceinstance\/web\.main revision 2 \(current\)\nRecorded: +\S+\nApp: +\/web\.main\.gitunknown\.config[0-9a-f]{8}\nChanges: +env, image\nSpec:\n  env:\n    MODE: fast\n  image: web:2\n  instances: 3\n$/
    )
    const json = JSON.parse((await cli(["rollout", "history", "web.main", "--revision", "1", "-o", "json"])).stdout)
    assert.deepStrictEqual([json.revision, json.spec], [1, { image: "web:1", instances: 3 }])
    const unknown = await cli(["rollout", "history", "web.main", "--revision", "7"])
    assert.strictEqual(unknown.code, 1)
    assert.strictEqual(unknown.stderr.trim(), "error: serviceinstance/web.main has no revision 7 (kept: 1, 2)")
  })

  it("refuses to undo a first revision", async () => {
    const { cli } = await setup("undo-first")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const result = await cli(["rollout", "undo", "web.main"])
    assert.strictEqual(result.code, 1)
    assert.include(result.stderr, "has no earlier revision to roll back to")
  })

  it("exits 4 for an unknown instance in every subcommand, and 2 when etcd is unreachable", async () => {
    const { cli } = await setup("missing")
    for (const verb of ["status", "restart", "pause", "resume", "history", "undo"]) {
      const result = await cli(["rollout", verb, "nope.main"])
      assert.strictEqual(result.code, 4, verb)
      assert.strictEqual(result.stderr.trim(), "error: serviceinstance \"nope.main\" not found", verb)
    }
    const down = await runCli(["rollout", "status", "web.main"], { env: { MDEPLOY_ETCD_ENDPOINTS: "http://127.0.0.1:9" } })
    assert.strictEqual(down.code, 2)
    assert.strictEqual(down.stderr.trim().split("\n").length, 1)
  })

  it("status --watch=false prints once: 0 when the current generation runs, 1 while progressing or stalled", async () => {
    const { cli, putStatus } = await setup("status")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const pending = await cli(["rollout", "status", "web.main", "--watch=false"])
    assert.strictEqual(pending.code, 1)
    assert.include(pending.stdout, "web.main  [----------] 0/3 new happy  Pending  waiting for the controller to observe generation 1")

    await putStatus("web.main", { observedGeneration: 1, phase: "Running", tasks: tasks(3), summary: "crossover: done" })
    const done = await cli(["rollout", "status", "web.main", "--watch=false"])
    assert.strictEqual(done.code, 0, done.stderr)
    assert.include(done.stdout, "[##########] 3/3 new happy  Running")
    assert.include(done.stdout, "serviceinstance/web.main successfully rolled out")

    await cli(["apply", "-f", "-"], manifest("web.main", "web:2"))
    assert.strictEqual((await cli(["rollout", "status", "web.main", "--watch=false"])).code, 1)

    await putStatus("web.main", {
      observedGeneration: 2,
      phase: "Stalled",
      tasks: tasks(0),
      conditions: [{
        type: "Stalled",
        status: "True",
        reason: "ProgressDeadlineExceeded",
        message: "no progress in 600s",
        lastTransitionTime: "2026-01-01T00:00:00Z"
      }]
    })
    const stalled = await cli(["rollout", "status", "web.main", "--watch=false"])
    assert.strictEqual(stalled.code, 1)
    assert.strictEqual(stalled.stderr.trim(), "error: serviceinstance/web.main stalled: no progress in 600s")
  })

  it("--watch --timeout exits 1 when nothing progresses, and 1 at once for a stalled rollout", async () => {
    const { cli, putStatus } = await setup("timeout")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const timedOut = await cli(["rollout", "status", "web.main", "--watch", "--timeout", "2s"])
    assert.strictEqual(timedOut.code, 1)
    assert.strictEqual(timedOut.stderr.trim(), "error: timed out waiting for serviceinstance/web.main to roll out after 2s")
    await putStatus("web.main", { observedGeneration: 1, phase: "Stalled", summary: "crossover: 0/3 new happy" })
    const stalled = await cli(["rollout", "status", "web.main", "--watch"])
    assert.strictEqual(stalled.code, 1)
    assert.include(stalled.stderr, "stalled: crossover: 0/3 new happy")
  })

  it("--watch reports a lost etcd in one line on stderr and exits 2", async () => {
    const own = await startLocalEtcd()
    try {
      const env = { MDEPLOY_ETCD_ENDPOINTS: own.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix("lost-etcd") }
      assert.strictEqual((await runCli(["apply", "-f", "-"], { env, stdin: manifest("web.main", "web:1") })).code, 0)
      const child = spawn(process.execPath, [binPath, "rollout", "status", "web.main", "--watch"], {
        cwd: repoRoot,
        env: { ...process.env, NO_COLOR: "1", ...env }
      })
      const output = { stdout: "", stderr: "" }
      child.stdout.on("data", (chunk) => (output.stdout += chunk))
      child.stderr.on("data", (chunk) => (output.stderr += chunk))
      let code: number | null | undefined
      child.on("close", (exitCode) => (code = exitCode))
      await waitUntil("the first progress line", () => output.stdout.includes("waiting for the controller"))
      await own.close()
      await waitUntil("the watch to end", () => code !== undefined, { timeoutMs: 30_000 })
      assert.strictEqual(code, 2, output.stderr)
      const lines = output.stderr.trimEnd().split("\n")
      assert.strictEqual(lines.length, 1, output.stderr)
      assert.match(lines[0]!, /^error: lost etcd while watching serviceinstance\/web\.main: etcd /)
    } finally {
      await own.close()
    }
  })

  it("--watch follows status written after it started, one line per change, and exits 0 at Running", async () => {
    const { cli, putStatus, start } = await setup("watch")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    const watching = start(["rollout", "status", "web.main", "--watch"])
    await waitUntil("the first progress line", () => watching.output.stdout.includes("waiting for the controller"))

    await putStatus("web.main", { observedGeneration: 1, phase: "Bouncing", tasks: tasks(1), summary: "crossover: 1/3 new happy" })
    await waitUntil("the bouncing line", () => watching.output.stdout.includes("[###-------] 1/3 new happy  Bouncing"))
    await putStatus("web.main", { observedGeneration: 1, phase: "Running", tasks: tasks(3), summary: "crossover: 3/3 new happy" })

    assert.strictEqual(await watching.exited, 0, watching.output.stderr)
    assert.deepStrictEqual(watching.output.stdout.trim().split("\n"), [
      "web.main  [----------] 0/3 new happy  Pending  waiting for the controller to observe generation 1",
      "web.main  [###-------] 1/3 new happy  Bouncing  crossover: 1/3 new happy",
      "web.main  [##########] 3/3 new happy  Running  crossover: 3/3 new happy",
      "serviceinstance/web.main successfully rolled out"
    ])
  })

  it("--watch waits for the controller to observe a new generation before trusting Running", async () => {
    const { cli, putStatus, start } = await setup("watch-generation")
    await cli(["apply", "-f", "-"], manifest("web.main", "web:1"))
    await putStatus("web.main", { observedGeneration: 1, phase: "Running", tasks: tasks(3) })
    await cli(["rollout", "restart", "web.main"])
    const watching = start(["rollout", "status", "web.main", "--watch", "--timeout", "30s"])
    await waitUntil("the first progress line", () => watching.output.stdout.includes("(status is for generation 1)"))
    await putStatus("web.main", { observedGeneration: 2, phase: "Running", tasks: tasks(3) })
    assert.strictEqual(await watching.exited, 0, watching.output.stderr)
    assert.include(watching.output.stdout, "successfully rolled out")
  })
})
