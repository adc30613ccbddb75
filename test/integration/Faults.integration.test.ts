import { assert, describe, it } from "@effect/vitest"
import { afterEach } from "vitest"
import type { Stack } from "../harness/stack.ts"
import { appsOf, happyTasks, manifest, rolledOut, slowCrossover, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// etcd restarts and Marathon faults during a bounce, and cleanup's safety rules, with the real
// controller process. The bounce must finish once the faults stop, and nothing unmanaged is touched.

const stacks: Array<Stack> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
})

const admin = async (stack: Stack, path: string, body: unknown, method = "POST"): Promise<any> => {
  const response = await fetch(`${stack.sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body)
  })
  const text = await response.text()
  assert.isTrue(response.ok, `${method} ${path}: ${response.status} ${text}`)
  return text === "" ? undefined : JSON.parse(text)
}

interface Injected {
  readonly id: number
  readonly times: number
  /** The controller retries until it succeeds, so every one of `times` must be used up. */
  readonly usedUp: boolean
}

/** Injects a fault and remembers its id, to check later that it fired. */
const inject = async (stack: Stack, fault: Record<string, unknown> & { times: number }, usedUp: boolean): Promise<Injected> => {
  const { id } = await admin(stack, "/__sim/faults", fault)
  return { id, times: fault.times, usedUp }
}

/** Waits until every injected fault fired (all of its `times` when `usedUp`), per the emulator's own count. */
const faultsFired = async (stack: Stack, injected: ReadonlyArray<Injected>) => {
  let left: Array<{ id: number; remaining: number | null }> = []
  const fired = (fault: Injected) => {
    const remaining = left.find((each) => each.id === fault.id)?.remaining
    return typeof remaining === "number" && (fault.usedUp ? remaining === 0 : remaining < fault.times)
  }
  try {
    await waitUntil("every injected fault fired", async () => {
      left = (await admin(stack, "/__sim/faults", undefined, "GET")).faults
      return injected.every(fired)
    }, { timeoutMs: 30_000 })
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}; injected ${JSON.stringify(injected)}, left ${JSON.stringify(left)}`
    )
  }
}

const createUnmanaged = async (stack: Stack, id: string) => {
  const response = await fetch(`${stack.sim.url}/v2/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id, cmd: "sleep 100000", instances: 2, labels: { team: "not-mdeploy" } })
  })
  assert.strictEqual(response.status, 201)
}

describe("faults during a bounce", () => {
  it("finishes after an etcd restart, Marathon 5xx, latency, a leader change and dropped events; never touches unmanaged apps", async () => {
    const stack = await startStack({ label: "faults" })
    stacks.push(stack)
    // Two apps mdeploy must leave alone: one elsewhere, one under web.main's own id prefix.
    await createUnmanaged(stack, "/billing.legacy")
    await createUnmanaged(stack, "/web.main.gitmanual0.confighandmade")
    await stack.startController()
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    await rolledOut(stack, "web.main", 1)

    const injected = [
      await inject(stack, { route: "/v2/apps", method: "POST", error: "unavailable", times: 2 }, true),
      await inject(stack, { route: "/v2/tasks/delete", status: 500, times: 2 }, true),
      await inject(stack, { route: "/v2/apps", latencyMs: 300, times: 20 }, false),
      await inject(stack, { sse: "drop", eventType: "status_update_event", times: 10 }, false)
    ]
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2")))
    await waitUntil("bounce under way", async () => (await stack.status("web.main"))?.phase === "Bouncing", { intervalMs: 10 })

    await stack.etcd.restart(0)
    await fetch(`${stack.sim.url}/v2/leader`, { method: "DELETE" })
    await admin(stack, "/__sim/faults", { sse: "disconnect" })
    // The bounce met the faults: failed creates and kills were retried past, events were lost.
    await faultsFired(stack, injected)
    await admin(stack, "/__sim/faults", undefined, "DELETE")
    await rolledOut(stack, "web.main", 2)

    const apps = await stack.apps()
    const managed = appsOf(apps, "web.main").filter((app) => app.labels?.["MDEPLOY_MANAGED"] === "true")
    assert.strictEqual(managed.length, 1)
    assert.strictEqual(happyTasks(managed[0]), 3)
    for (const id of ["/billing.legacy", "/web.main.gitmanual0.confighandmade"]) {
      const app = apps.find((candidate) => candidate.id === id)
      assert.strictEqual(app?.instances, 2, `${id} must be left as it was`)
      const touched = stack.proxy.writes().filter((r) => r.path.includes(id.slice(1)) || r.body.includes(id.slice(1)))
      assert.deepStrictEqual(touched.map((r) => `${r.method} ${r.path}`), [], `${id} must never be written`)
    }
  })
})

describe("a silent event stream", () => {
  it("an open /v2/events connection that goes quiet costs the silence timeout, not the resync", async () => {
    const stack = await startStack({ label: "silent-events" })
    stacks.push(stack)
    await stack.startController(["--resync", "120", "--events-silence-timeout", "2"])
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    await rolledOut(stack, "web.main", 1)
    // The controller's connection goes quiet (no events, no heartbeats) but stays open.
    await admin(stack, "/__sim/faults", { sse: "silent" })
    const started = performance.now()
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2")))
    await rolledOut(stack, "web.main", 2, 60_000)
    const seconds = (performance.now() - started) / 1000
    // ~4 s of drains plus one 2 s silence; waiting for the 120 s resync would fail this.
    assert.isBelow(seconds, 30, `rolled out after ${seconds.toFixed(1)} s`)
    assert.isAbove(
      stack.proxy.requests.filter((r) => r.path.startsWith("/v2/events")).length,
      1,
      "the controller never reopened the stream"
    )
  })
})

describe("cleanup", () => {
  it("removes 1 of 3 deleted instances, refuses 3 of 3 without --force, and deletes them with it", async () => {
    const stack = await startStack({ label: "cleanup" })
    stacks.push(stack)
    await createUnmanaged(stack, "/outsider.app")
    const controller = await stack.startController(["--resync", "2"])
    for (const name of ["a.main", "b.main", "c.main"]) {
      await stack.cli(["apply", "-f", "-"], manifest(name, { ...slowCrossover("img:1", 1), drain: { method: "noop" } }))
    }
    for (const name of ["a.main", "b.main", "c.main"]) await rolledOut(stack, name, 1)

    await stack.cli(["delete", "a.main"])
    await waitUntil("a.main's app removed", async () => appsOf(await stack.apps(), "a.main").length === 0, { timeoutMs: 30_000 })
    await waitUntil("a.main's status removed", async () => (await stack.status("a.main")) === undefined)

    await stack.cli(["delete", "b.main", "c.main"])
    await waitUntil("the refusal is logged", () => controller.logs().includes("the spec set is empty"), { timeoutMs: 30_000 })
    const kept = await stack.apps()
    assert.strictEqual(appsOf(kept, "b.main").length, 1, "b.main must not be deleted when the spec set is empty")
    assert.strictEqual(appsOf(kept, "c.main").length, 1)

    await controller.kill()
    await stack.startController(["--resync", "2", "--force"])
    await waitUntil("b and c removed with --force", async () => {
      const apps = await stack.apps()
      return appsOf(apps, "b.main").length === 0 && appsOf(apps, "c.main").length === 0
    }, { timeoutMs: 30_000 })
    assert.isDefined((await stack.apps()).find((app) => app.id === "/outsider.app"), "unmanaged apps survive even --force")
  })
})
