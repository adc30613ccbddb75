import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import type { Stack } from "../harness/stack.ts"
import { appsOf, happyTasks, manifest, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"
import { spawnCli } from "../harness/cli.ts"

// The real controller process, real etcd, the emulator over HTTP, and the real CLI: each bounce
// method from `mdeploy apply` of a new image to only the new app running.

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ label: "bounce" })
  await stack.startController()
})
afterAll(async () => {
  await stack?.close()
})

const web = (method: string, image: string, extra: Record<string, unknown> = {}) => ({
  image,
  instances: 3,
  ports: [8080],
  healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1 },
  bounce: { method },
  drain: { method: "test", params: { delay: 0.2 } },
  ...extra
})

/** Polls status until `done`, collecting every phase seen on the way. */
const followPhases = async (name: string, done: (status: any) => boolean, timeoutMs = 30_000) => {
  const phases: Array<string> = []
  await waitUntil(`${name} to finish`, async () => {
    const status = await stack.status(name)
    const phase = status?.phase as string | undefined
    if (phase !== undefined && phases.at(-1) !== phase) phases.push(phase)
    return status !== undefined && done(status)
  }, { timeoutMs, intervalMs: 10 })
  return phases
}

const rolledOut = (generation: number) => (status: any) => status.observedGeneration === generation && status.phase === "Running"

describe("bounces end to end", () => {
  for (const method of ["crossover", "upthendown", "downthenup", "brutal"]) {
    it(`${method}: from apply of a new image to only the new app, healthy`, async () => {
      const name = `${method}.main`
      const first = await stack.cli(["apply", "-f", "-"], manifest(name, web(method, "web:1")))
      assert.strictEqual(first.code, 0, first.stderr)
      await followPhases(name, rolledOut(1))
      const before = appsOf(await stack.apps(), name)
      assert.strictEqual(before.length, 1)

      const second = await stack.cli(["apply", "-f", "-"], manifest(name, web(method, "web:2")))
      assert.strictEqual(second.code, 0, second.stderr)
      const phases = await followPhases(name, rolledOut(2))
      assert.include(phases, "Bouncing", `phases seen: ${phases.join(" → ")}`)
      assert.strictEqual(phases.at(-1), "Running")

      const after = appsOf(await stack.apps(), name)
      assert.strictEqual(after.length, 1, "only the new app remains")
      assert.notStrictEqual(after[0]!.id, before[0]!.id)
      assert.strictEqual(happyTasks(after[0]), 3)
      const status = await stack.status(name)
      assert.strictEqual(status.appId, after[0]!.id)
      assert.deepStrictEqual(status.tasks, { desired: 3, happyNew: 3, oldHappy: 0, oldUnhappy: 0, draining: 0, atRisk: 0 })
    })
  }

  it("new tasks that crash: status, describe and rollout status carry Marathon's last task failure; the old app keeps serving", async () => {
    const name = "crashy.main"
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1")))).code, 0)
    await followPhases(name, rolledOut(1))
    const [old] = appsOf(await stack.apps(), name)
    // Paused, so the new app's tasks can be scripted to crash before it exists.
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:2", { paused: true })))).code, 0)
    const planned = await stack.cli(["reconcile", name, "--dry-run", "-o", "json"])
    const appId = JSON.parse(planned.stdout).plan.appId as string
    const scripted = await fetch(`${stack.sim.url}/__sim/apps/${appId.slice(1)}/behaviour`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      // They fail while starting, so none is ever happy and the old tasks must stay.
      body: JSON.stringify({
        crash: { afterSeconds: 0.1, state: "TASK_FAILED", message: "Command exited with status 3", beforeRunning: true }
      })
    })
    assert.isTrue(scripted.ok, await scripted.text())
    assert.strictEqual((await stack.cli(["rollout", "resume", name])).code, 0)
    const status = await waitUntil("the task failure in status", async () => {
      const current = await stack.status(name)
      return current?.lastTaskFailure?.appId === appId ? current : undefined
    }, { timeoutMs: 30_000 })
    assert.strictEqual(status.lastTaskFailure.state, "TASK_FAILED")
    assert.strictEqual(status.lastTaskFailure.message, "Command exited with status 3")
    const oneShot = await stack.cli(["rollout", "status", name, "--watch=false"])
    assert.notStrictEqual(oneShot.code, 0)
    assert.match(oneShot.stderr, /Marathon: task \S+ TASK_FAILED at \S+: Command exited with status 3/)
    assert.match((await stack.cli(["describe", name])).stdout, /Last task failure:\s+\S+ TASK_FAILED .*Command exited with status 3/)
    assert.strictEqual(happyTasks((await stack.apps()).find((app) => app.id === old!.id)), 3)
  })

  it("events: a rollout tells what it did, newest first, in `mdeploy events`, its JSON and describe; --watch follows", async () => {
    const name = "told.main"
    const watcher = spawnCli(stack, ["events", name, "--watch"])
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("brutal", "web:1")))).code, 0)
    await followPhases(name, rolledOut(1))
    assert.strictEqual((await stack.cli(["apply", "-f", "-"], manifest(name, web("brutal", "web:2")))).code, 0)
    await followPhases(name, rolledOut(2))
    // Events are written behind the pass (a pass never waits on etcd for one): wait for the last.
    type Item = { instance: string; type: string; reason: string; message: string; count: number }
    const items = await waitUntil("both rollouts told", async () => {
      const listed = await stack.cli(["events", name, "-o", "json"])
      assert.strictEqual(listed.code, 0, listed.stderr)
      const all = JSON.parse(listed.stdout).items as Array<Item>
      return all.filter((item) => item.reason === "RolloutSucceeded").length >= 2 ? all : undefined
    })
    const reasons = items.map((item) => item.reason)
    assert.includeMembers(reasons, ["AppCreated", "TasksDraining", "TasksKilled", "AppDeleted", "RolloutSucceeded"])
    assert.isTrue(items.every((item) => item.instance === name && item.type === "Normal"))
    assert.strictEqual(items.filter((item) => item.reason === "RolloutSucceeded").length, 2, "one per generation")
    const table = await stack.cli(["events", name])
    assert.match(table.stdout.split("\n")[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+COUNT\s+MESSAGE/)
    assert.match((await stack.cli(["describe", name])).stdout, /Events:\n.*LAST SEEN[\s\S]*RolloutSucceeded/)
    // The watch saw them arrive one by one and stops cleanly on SIGTERM.
    await waitUntil("the watch printed the second rollout", () => (watcher.output().match(/RolloutSucceeded/g) ?? []).length >= 2)
    assert.strictEqual(await watcher.stop(), 0)
  })

  it("down: drains the old app and creates nothing", async () => {
    const name = "down.main"
    await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1")))
    await followPhases(name, rolledOut(1))
    await stack.cli(["apply", "-f", "-"], manifest(name, web("down", "web:2")))
    await waitUntil("old app gone, nothing new", async () => appsOf(await stack.apps(), name).length === 0, { timeoutMs: 30_000 })
    const creates = stack.proxy.writes().filter((r) => r.method === "POST" && r.path === "/v2/apps" && r.body.includes(`"/${name}.`))
    assert.strictEqual(creates.length, 1, "only the first app was ever created")
  })

  it("scales in place without a bounce, and stops and starts again keeping the app", async () => {
    const name = "scale.main"
    await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1")))
    await followPhases(name, rolledOut(1))
    const [app] = appsOf(await stack.apps(), name)
    const described = await stack.cli(["describe", name])
    assert.include(described.stdout, `Marathon:\n  ${app!.id}  instances=3`)
    assert.strictEqual((described.stdout.match(/TASK_RUNNING/g) ?? []).length, 3)

    const planned = await stack.cli(["diff", "-f", "-"], manifest(name, web("crossover", "web:1", { instances: 5 })))
    assert.strictEqual(planned.code, 1)
    assert.include(planned.stdout, `plan for ${name} (crossover, Pending): {"type":"scaleApp","appId":"${app!.id}","instances":5}`)
    await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1", { instances: 5 })))
    await followPhases(name, (status) => status.observedGeneration === 2 && status.phase === "Running" && status.tasks.happyNew === 5)
    const scaled = appsOf(await stack.apps(), name)
    assert.deepStrictEqual(scaled.map((a) => a.id), [app!.id], "same app id: no bounce")
    assert.strictEqual(happyTasks(scaled[0]), 5)

    await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1", { instances: 5, desiredState: "stop" })))
    const stopping = await followPhases(name, (status) => status.observedGeneration === 3 && status.phase === "Stopped")
    assert.strictEqual(stopping.at(-1), "Stopped")
    const stopped = appsOf(await stack.apps(), name)
    assert.deepStrictEqual(stopped.map((a) => [a.id, a.instances]), [[app!.id, 0]], "the app is kept at 0 instances")

    await stack.cli(["apply", "-f", "-"], manifest(name, web("crossover", "web:1", { instances: 5, desiredState: "start" })))
    await followPhases(name, (status) => status.observedGeneration === 4 && status.phase === "Running")
    assert.strictEqual(happyTasks(appsOf(await stack.apps(), name)[0]), 5)
  })
})
