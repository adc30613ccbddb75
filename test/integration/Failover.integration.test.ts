import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterEach } from "vitest"
import { createdAppIds, killedTaskIds } from "../harness/recordingProxy.ts"
import type { Stack } from "../harness/stack.ts"
import { appsOf, happyTasks, manifest, rolledOut, slowCrossover, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// Leadership, locks and faults with real controller processes: kill -9 of the leader or of the
// etcd leader mid-bounce, a manual reconcile against a held lock, etcd restarts and Marathon faults.

const stacks: Array<Stack> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
})

/** Task ids named by successful kill requests, once per request. */

const assertNoDuplicates = (stack: Stack) => {
  const created = createdAppIds(stack.proxy.writes())
  assert.strictEqual(new Set(created).size, created.length, `an app was created twice: ${created.join(", ")}`)
  const killed = killedTaskIds(stack.proxy.writes())
  assert.strictEqual(new Set(killed).size, killed.length, `a task was killed twice: ${killed.join(", ")}`)
}

describe("failover", () => {
  it("two controllers: only one leads; kill -9 of the leader mid-bounce and the standby finishes it", async () => {
    const stack = await startStack({ label: "failover" })
    stacks.push(stack)
    const first = await stack.startController()
    await waitUntil("first leads", () => first.logs().includes("controller leading"))
    const second = await stack.startController()
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    await rolledOut(stack, "web.main", 1)
    // A standby keeps its caches current, and nothing else: a new leader starts with them listed.
    await waitUntil("the standby's caches listed", () => second.logs().includes("caches listed"))
    assert.notInclude(second.logs(), "controller leading", "the standby must not act while the leader lives")

    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2")))
    await waitUntil("bounce under way", async () => {
      const status = await stack.status("web.main")
      return status?.observedGeneration === 2 && status.phase === "Bouncing"
    }, { intervalMs: 10 })
    await first.kill("SIGKILL")
    await waitUntil("the standby takes over", () => second.logs().includes("controller leading"), { timeoutMs: 15_000 })
    assert.isBelow(
      second.logs().indexOf("caches listed"),
      second.logs().indexOf("elected leader"),
      "the standby listed its caches before it was elected"
    )
    // Its caches followed the edit made while it stood by: it finishes generation 2.
    await rolledOut(stack, "web.main", 2)

    const apps = appsOf(await stack.apps(), "web.main")
    assert.strictEqual(apps.length, 1)
    assert.strictEqual(happyTasks(apps[0]), 3)
    assertNoDuplicates(stack)
  })

  it("kill -9 of the etcd leader of a 3-member cluster mid-bounce costs seconds, and the bounce completes", async () => {
    const stack = await startStack({ label: "etcd-leader", etcdMembers: 3 })
    stacks.push(stack)
    await stack.startController()
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    await rolledOut(stack, "web.main", 1)
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2")))
    await waitUntil("bounce under way", async () => (await stack.status("web.main"))?.phase === "Bouncing", { intervalMs: 10 })

    const statuses = await Promise.all(stack.etcd.members.map(async (member) => {
      const response = await fetch(`${member.clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}" })
      return (await response.json()) as { header: { member_id: string }; leader: string }
    }))
    const leaderIndex = statuses.findIndex((status) => status.header.member_id === status.leader)
    assert.isAtLeast(leaderIndex, 0)
    const killedAt = performance.now()
    await stack.etcd.kill(leaderIndex)
    await rolledOut(stack, "web.main", 2)
    const seconds = (performance.now() - killedAt) / 1000
    // The bounce itself takes ~3–4 s of drains; the etcd election must not add more than a few.
    assert.isBelow(seconds, 20)
    assertNoDuplicates(stack)
  })

  it("a frozen etcd member (SIGSTOP) under the controller's watches: a spec edit is followed within seconds", async () => {
    const stack = await startStack({ label: "etcd-frozen", etcdMembers: 3 })
    stacks.push(stack)
    // A resync far away, so that only the watches can bring the edit in time.
    await stack.startController(["--resync", "120"])
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    await rolledOut(stack, "web.main", 1)
    // The member most of the controller's watches run on: the hardest one to lose.
    const watchers = await Promise.all(stack.etcd.members.map(async (member) => {
      const text = await (await fetch(`${member.clientUrl}/metrics`)).text()
      return Number(/^etcd_debugging_mvcc_watcher_total (\S+)$/m.exec(text)?.[1] ?? "0")
    }))
    const frozen = watchers.indexOf(Math.max(...watchers))
    assert.isAbove(watchers[frozen]!, 0)
    stack.etcd.freeze(frozen)
    try {
      const frozenAt = performance.now()
      // A write that goes to the frozen member fails at its deadline; apply then reads afresh and
      // writes again through another member, and reports what it did (not what the repeat found).
      const applied = await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2")))
      assert.strictEqual(applied.code, 0, applied.stderr)
      assert.strictEqual(applied.stdout.trim(), "serviceinstance/web.main configured")
      const appliedAfter = (performance.now() - frozenAt) / 1000
      await rolledOut(stack, "web.main", 2, 80_000)
      const seconds = (performance.now() - frozenAt) / 1000
      // The bounce itself takes ~3–4 s of drains; a frozen member must cost seconds, not the
      // resync (120 s). Each etcd call that lands on it costs its whole deadline (5 s), and a few
      // can, one after another (seen: a campaign, a new term's list, a lock: 20 s in all).
      assert.isBelow(seconds - appliedAfter, 60, `rolled out ${(seconds - appliedAfter).toFixed(1)} s after the apply`)
      assertNoDuplicates(stack)
    } finally {
      stack.etcd.thaw(frozen)
    }
  }, 120_000)
})

describe("locks", () => {
  it("a manual reconcile while the instance lock is held exits 5 and changes nothing", async () => {
    const stack = await startStack({ label: "manual" })
    stacks.push(stack)
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1")))
    // Hold the lock as a controller worker does, from another process.
    const holder = spawn(process.execPath, [
      join(import.meta.dirname, "..", "harness", "lockHolder.ts"),
      stack.etcd.endpoints,
      stack.prefix,
      "web.main",
      "5"
    ], { stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    holder.stdout.on("data", (chunk) => (output += chunk))
    try {
      await waitUntil("lock held", () => output.includes("locked"))
      const result = await stack.cli(["reconcile", "web.main"])
      assert.strictEqual(result.code, 5, result.stderr)
      assert.include(result.stderr, "lock held")
      assert.deepStrictEqual(stack.proxy.writes(), [])
      assert.isUndefined(await stack.status("web.main"))

      const dry = await stack.cli(["reconcile", "web.main", "--dry-run", "-o", "json"])
      assert.strictEqual(dry.code, 0, dry.stderr)
      const document = JSON.parse(dry.stdout)
      assert.strictEqual(document.plan.actions[0].type, "createApp")
      assert.deepStrictEqual(stack.proxy.writes(), [], "a dry run writes nothing")
    } finally {
      holder.kill("SIGKILL")
    }
    const freed = await waitUntil("reconcile once the holder's lease expired", async () => {
      const result = await stack.cli(["reconcile", "web.main"])
      return result.code === 0 ? result : undefined
    }, { timeoutMs: 20_000, intervalMs: 500 })
    assert.include(freed.stdout, "ran {\"type\":\"createApp\"")
    assert.strictEqual(createdAppIds(stack.proxy.writes()).length, 1)
  })
})
