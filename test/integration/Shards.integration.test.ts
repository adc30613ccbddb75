// Several Marathon shards (PaaSTA's marathon_servers / previous_marathon_servers), end to end: real
// etcd, two or three emulators over HTTP, the real controller and CLI. Instances are placed by
// rendezvous hashing or their pin; a shard added or retired moves only the instances it must, each
// as a crossover whose healthy tasks, summed over every shard, never fall below the floor on any
// poll; a shard that cannot be reached holds up only the instances that need it, and loses nothing.
import { assert, describe, it } from "@effect/vitest"
import { afterEach } from "vitest"
import { rendezvousShard } from "../../src/domain/ShardPlacement.ts"
import type { RunningSim } from "../../src/sim/MarathonSim.ts"
import { start as startSim } from "../../src/sim/MarathonSim.ts"
import { watchInvariant } from "../harness/invariant.ts"
import type { ControllerProcess, MarathonApp, Stack } from "../harness/stack.ts"
import { appsOf, happyTasks, manifest, startStack } from "../harness/stack.ts"
import type { TcpGate } from "../harness/tcpGate.ts"
import { startTcpGate } from "../harness/tcpGate.ts"
import { waitUntil } from "../harness/wait.ts"

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
})

const instances = 2
const web = (image: string, extra: Record<string, unknown> = {}) => ({
  image,
  instances,
  ports: [8080],
  healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 5, intervalSeconds: 1 },
  bounce: { method: "crossover" },
  drain: { method: "test", params: { delay: 0.3 } },
  ...extra
})

/** The first emulator is the stack's; the others get their own seeds, so task ids never repeat across shards. */
const startShards = async (label: string, count: number) => {
  const stack = await startStack({ label })
  closers.push(() => stack.close())
  const sims: Array<RunningSim> = [stack.sim]
  for (let i = 1; i < count; i++) {
    const sim = await startSim({ clock: "real", taskStartDelayMs: 40, healthyAfterMs: 80, taskKillDelayMs: 20, seed: 100 + i })
    closers.push(() => sim.close())
    sims.push(sim)
  }
  return { stack, sims }
}

/** An emulator's own state (no gate or fault in between): apps with their tasks and health. */
const trueApps = async (sim: RunningSim): Promise<ReadonlyArray<MarathonApp>> => {
  const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as {
    apps: Array<{ id: string; instances: number }>
    tasks: Array<{ taskId: string | null; appId: string; state: string; healthy: boolean | null }>
  }
  return state.apps.map((app) => ({
    id: app.id,
    instances: app.instances,
    tasks: state.tasks.filter((task) => task.appId === app.id && task.taskId !== null).map((task) => ({
      id: task.taskId!,
      state: task.state,
      healthCheckResults: task.healthy === true ? [{ alive: true }] : []
    }))
  }))
}

const shardArgs = (shards: ReadonlyArray<readonly [string, string]>, previous: ReadonlyArray<readonly [string, string]> = []) => [
  ...shards.flatMap(([name, url]) => ["--marathon-shard", `${name}=${url}`]),
  ...previous.flatMap(([name, url]) => ["--previous-marathon-shard", `${name}=${url}`])
]

/** Which emulators run apps of `name` now, by shard name. */
const placementOf = async (names: ReadonlyArray<string>, sims: ReadonlyMap<string, RunningSim>, name: string) => {
  const found: Array<string> = []
  for (const shard of names) if (appsOf(await trueApps(sims.get(shard)!), name).length > 0) found.push(shard)
  return found
}

/** Every instance's healthy tasks, summed over every emulator, at or above the floor on every poll. */
const watchFloor = (sims: ReadonlyArray<RunningSim>, names: ReadonlyArray<string>) =>
  watchInvariant(async () => {
    const all = (await Promise.all(sims.map(trueApps))).flat()
    for (const name of names) {
      const happy = appsOf(all, name).reduce((sum, app) => sum + happyTasks(app), 0)
      if (happy < instances) return `${name}: ${happy} healthy tasks over all shards, floor ${instances}`
    }
    return undefined
  }, 20)

const converged = (stack: Stack, name: string, shard: string, timeoutMs = 60_000) =>
  waitUntil(`${name} Running on shard ${shard}`, async () => {
    const status = await stack.status(name)
    return status?.phase === "Running" && status.shard === shard && status.tasks?.happyNew === instances
  }, { timeoutMs, intervalMs: 50 })

/** Names whose apps live only on their expected shard, each Running there. */
const allConverged = async (
  stack: Stack,
  sims: ReadonlyMap<string, RunningSim>,
  expected: ReadonlyMap<string, string>,
  timeoutMs = 90_000
) => {
  for (const [name, shard] of expected) await converged(stack, name, shard, timeoutMs)
  await waitUntil("every instance only on its shard", async () => {
    for (const [name, shard] of expected) {
      const on = await placementOf([...sims.keys()], sims, name)
      if (on.length !== 1 || on[0] !== shard) return false
    }
    return true
  }, { timeoutMs, intervalMs: 100 })
}

/** New tasks of `appId` on this emulator pass their checks only after `seconds`. */
const slowHealth = async (sim: RunningSim, appId: string, seconds: number) => {
  const scripted = await fetch(`${sim.url}/__sim/apps/${appId.slice(1)}/behaviour`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ health: "healthy", healthyAfterSeconds: seconds })
  })
  assert.isTrue(scripted.ok, await scripted.text())
}

const apply = async (stack: Stack, name: string, spec: Record<string, unknown>) => {
  const result = await stack.cli(["apply", "-f", "-"], manifest(name, spec))
  assert.strictEqual(result.code, 0, result.stderr)
}

const restart = async (stack: Stack, controller: ControllerProcess, args: ReadonlyArray<string>) => {
  await controller.kill("SIGTERM")
  return stack.startController(["--resync", "2", ...args])
}

const names = Array.from({ length: 12 }, (_, i) => `svc${i}.main`)

describe("Marathon shards", () => {
  it("two shards: each instance lives on its rendezvous shard, status, get -o wide and describe say which", async () => {
    const { stack, sims } = await startShards("shards-place", 2)
    const byName = new Map([["a", sims[0]!], ["b", sims[1]!]])
    await stack.startController(["--resync", "2", ...shardArgs([["a", sims[0]!.url], ["b", sims[1]!.url]])])
    for (const name of names.slice(0, 8)) await apply(stack, name, web("web:1"))
    const expected = new Map(names.slice(0, 8).map((name) => [name, rendezvousShard(name, ["a", "b"])!]))
    assert.strictEqual(new Set(expected.values()).size, 2, "the sample lands on both shards")
    await allConverged(stack, byName, expected)

    const wide = await stack.cli(["get", "-o", "wide"])
    assert.strictEqual(wide.code, 0, wide.stderr)
    for (const [name, shard] of expected) {
      const line = wide.stdout.split("\n").find((row) => row.startsWith(`${name} `)) ?? ""
      assert.match(line, new RegExp(`\\s${shard}\\s`), line)
    }
    const [first, shard] = [...expected][0]!
    const described = await stack.cli(["describe", first])
    assert.match(described.stdout, new RegExp(`Shard:\\s+${shard}\\b`))
    // Given the shards, describe reads each one: the instance's app under the shard it lives on.
    const other = shard === "a" ? "b" : "a"
    const everywhere = await stack.cli(["describe", first, ...shardArgs([["a", sims[0]!.url], ["b", sims[1]!.url]])])
    assert.strictEqual(everywhere.code, 0, everywhere.stderr)
    const section = (title: string) => everywhere.stdout.split(title)[1]?.split(/\n(?=\S)/)[0] ?? ""
    assert.match(
      section(`Marathon shard ${shard} (lives here)`),
      new RegExp(first.replace(".", "\\.")),
      everywhere.stdout
    )
    assert.notInclude(everywhere.stdout, `Marathon shard ${other} (lives here)`)
    assert.include(everywhere.stdout, `Marathon shard ${other}`)
  })

  it("a shard added, then retired: only its instances move, each as a crossover above the floor on every poll", async () => {
    const { stack, sims } = await startShards("shards-move", 3)
    const byName = new Map([["a", sims[0]!], ["b", sims[1]!], ["c", sims[2]!]])
    const url = (shard: string) => byName.get(shard)!.url
    let controller = await stack.startController(["--resync", "2", ...shardArgs([["a", url("a")], ["b", url("b")]])])
    for (const name of names) await apply(stack, name, web("web:1"))
    const before = new Map(names.map((name) => [name, rendezvousShard(name, ["a", "b"])!]))
    await allConverged(stack, byName, before)
    const tasksBefore = new Map(
      await Promise.all(names.map(async (name) => [name, await taskIdsOf(byName, name)] as const))
    )

    // Added: the instances whose rendezvous winner is now c move there, and only those; their
    // tasks take a second to pass checks there, so only a crossover keeps them above the floor.
    const added = new Map(names.map((name) => [name, rendezvousShard(name, ["a", "b", "c"])!]))
    const moving = names.filter((name) => added.get(name) === "c")
    for (const name of moving) await slowHealth(byName.get("c")!, (await stack.status(name)).appId, 1)
    const watch = watchFloor(sims, names)
    controller = await restart(stack, controller, shardArgs([["a", url("a")], ["b", url("b")], ["c", url("c")]]))
    assert.isAbove(moving.length, 0)
    assert.isBelow(moving.length, names.length / 2)
    for (const name of names) if (added.get(name) !== "c") assert.strictEqual(added.get(name), before.get(name))
    await allConverged(stack, byName, added)
    for (const name of names.filter((n) => !moving.includes(n))) {
      assert.deepStrictEqual(await taskIdsOf(byName, name), tasksBefore.get(name), `${name} did not move and was not touched`)
    }

    // Retired: c becomes a previous shard; its instances go back by crossover, nothing new lands on it.
    controller = await restart(stack, controller, shardArgs([["a", url("a")], ["b", url("b")]], [["c", url("c")]]))
    await allConverged(stack, byName, before)
    assert.deepStrictEqual(await trueApps(byName.get("c")!).then((apps) => apps.map((app) => app.id)), [])
    const seen = await watch.stop()
    assert.deepStrictEqual(seen.violations, [])
    assert.isAbove(seen.polls, 20)
  }, 150_000)

  it("an instance pinned with spec.marathonShard moves by crossover; a pin to no current shard is Invalid and nothing is written", async () => {
    const { stack, sims } = await startShards("shards-pin", 2)
    const byName = new Map([["a", sims[0]!], ["b", sims[1]!]])
    await stack.startController(["--resync", "2", ...shardArgs([["a", sims[0]!.url], ["b", sims[1]!.url]])])
    const name = "pinned.main"
    const hashed = rendezvousShard(name, ["a", "b"])!
    const other = hashed === "a" ? "b" : "a"
    await apply(stack, name, web("web:1"))
    await allConverged(stack, byName, new Map([[name, hashed]]))

    // The moved app's tasks take 2 s to pass their checks on the new shard: anything but a
    // crossover (old tasks going before new ones are healthy) would dip below the floor.
    await slowHealth(byName.get(other)!, (await stack.status(name)).appId, 2)
    const watch = watchFloor(sims, [name])
    await apply(stack, name, web("web:1", { marathonShard: other }))
    await allConverged(stack, byName, new Map([[name, other]]))
    assert.deepStrictEqual((await watch.stop()).violations, [])

    const appsBefore = await Promise.all(sims.map(trueApps))
    await apply(stack, name, web("web:2", { marathonShard: "nowhere" }))
    const status = await waitUntil("the bad pin reported", async () => {
      const current = await stack.status(name)
      return current?.phase === "Invalid" ? current : undefined
    })
    assert.include(status.summary, `"nowhere" is not a current Marathon shard (current: a, b)`)
    assert.deepStrictEqual(await Promise.all(sims.map(trueApps)), appsBefore, "no Marathon write for an invalid pin")
  })

  it(
    "one shard unreachable: the other shard's instances keep converging; the unreachable one's wait, say why, and lose nothing",
    async () => {
      const { stack, sims } = await startShards("shards-down", 2)
      const gate: TcpGate = await startTcpGate(sims[1]!.url)
      closers.push(() => gate.close())
      const byName = new Map([["a", sims[0]!], ["b", sims[1]!]])
      await stack.startController(["--resync", "2", ...shardArgs([["a", sims[0]!.url], ["b", gate.url]])])
      const sample = names.slice(0, 8)
      for (const name of sample) await apply(stack, name, web("web:1"))
      const expected = new Map(sample.map((name) => [name, rendezvousShard(name, ["a", "b"])!]))
      await allConverged(stack, byName, expected)
      const onA = sample.filter((name) => expected.get(name) === "a")
      const onB = sample.filter((name) => expected.get(name) === "b")
      assert.isAbove(onA.length, 0)
      assert.isAbove(onB.length, 0)
      const bBefore = await trueApps(sims[1]!)

      gate.cut()
      // New images everywhere, and one instance on b deleted: only a's instances may move.
      for (const name of sample) await apply(stack, name, web("web:2"))
      assert.strictEqual((await stack.cli(["delete", onB[0]!])).code, 0)
      for (const name of onA) {
        await waitUntil(`${name} rolled out on a while b is unreachable`, async () => {
          const status = await stack.status(name)
          return status?.observedGeneration === 2 && status.phase === "Running"
        }, { timeoutMs: 60_000, intervalMs: 50 })
      }
      for (const name of onB.slice(1)) {
        const status = await waitUntil(`${name} says why it waits`, async () => {
          const current = await stack.status(name)
          return current?.lastReconcile?.error?.includes("shard b") === true ? current : undefined
        }, { timeoutMs: 30_000, intervalMs: 100 })
        assert.include(status.lastReconcile.error, "cannot be read")
      }
      assert.isAbove(gate.refused(), 0)
      assert.deepStrictEqual(await trueApps(sims[1]!), bBefore, "nothing on the unreachable shard was changed or deleted")

      // Back: b's instances roll out, and the deleted one is torn down.
      gate.reconnect()
      for (const name of onB.slice(1)) {
        await waitUntil(`${name} rolled out once b is back`, async () => {
          const status = await stack.status(name)
          return status?.observedGeneration === 2 && status.phase === "Running" && status.shard === "b"
        }, { timeoutMs: 60_000, intervalMs: 50 })
      }
      await waitUntil(`${onB[0]} torn down`, async () => appsOf(await trueApps(sims[1]!), onB[0]!).length === 0, {
        timeoutMs: 60_000
      })
    },
    150_000
  )
})

const taskIdsOf = async (sims: ReadonlyMap<string, RunningSim>, name: string) => {
  const ids: Array<string> = []
  for (const sim of sims.values()) for (const app of appsOf(await trueApps(sim), name)) ids.push(...(app.tasks ?? []).map((t) => t.id))
  return ids.sort()
}
