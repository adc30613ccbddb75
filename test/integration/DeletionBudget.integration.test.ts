import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterEach } from "vitest"
import { rawDeletePrefix } from "../harness/etcd.ts"
import { watchInvariant } from "../harness/invariant.ts"
import type { Stack } from "../harness/stack.ts"
import { appsOf, manifest, rolledOut, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// The deletion budget (design.md §11) against the real controller, etcd and the emulator: however
// the specs go — one transaction, one by one, across a controller restart, a wiped prefix — no more
// than half of the managed instances are torn down within the window. Asserted on every poll.

const stacks: Array<Stack> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
})

const names = Array.from({ length: 10 }, (_, i) => `svc${i}.main`)
const small = { cmd: "sleep 100000", instances: 1, bounce: { method: "brutal" }, drain: { method: "noop" } }

/** A stack with ten rolled-out instances and a controller. */
const tenInstances = async (label: string, controllerArgs: ReadonlyArray<string> = []) => {
  const stack = await startStack({ label })
  stacks.push(stack)
  const controller = await stack.startController(controllerArgs)
  const applied = await stack.cli(["apply", "-f", "-"], names.map((name) => manifest(name, small)).join("\n---\n"))
  assert.strictEqual(applied.code, 0, applied.stderr)
  for (const name of names) await rolledOut(stack, name, 1)
  return { stack, controller }
}

/** Deleted instances whose apps Marathon no longer runs. */
const tornDown = async (stack: Stack, deleted: ReadonlyArray<string>) => {
  const apps = await stack.apps()
  return deleted.filter((name) => appsOf(apps, name).length === 0)
}

/** At most `limit` of `deleted()` torn down, on every poll. */
const budgetHeld = (stack: Stack, deleted: () => ReadonlyArray<string>, limit: number) =>
  watchInvariant(async () => {
    const gone = await tornDown(stack, deleted())
    return gone.length > limit ? `${gone.length} instances torn down (${gone.join(", ")}), budget ${limit}` : undefined
  })

const refused = async (stack: Stack, deleted: ReadonlyArray<string>) => {
  const phases = await Promise.all(deleted.map(async (name) => (await stack.status(name))?.phase))
  return deleted.filter((_, i) => phases[i] === "CleanupRefused")
}

/** Waits until every deleted instance is either torn down or refused; how many of each. */
const settle = (stack: Stack, deleted: ReadonlyArray<string>) =>
  waitUntil("every deleted instance torn down or refused", async () => {
    const torn = (await tornDown(stack, deleted)).length
    const held = (await refused(stack, deleted)).length
    return torn + held === deleted.length ? { torn, held } : undefined
  }, { timeoutMs: 40_000, intervalMs: 100 })

describe("deletion budget", () => {
  it("8 of 10 deleted in one transaction: at most 5 torn down, the rest refused (CleanupRefused) until approved one by one", async () => {
    const { stack } = await tenInstances("budget-txn")
    const deleted = names.slice(0, 8)
    const watch = budgetHeld(stack, () => deleted, 5)
    const result = await stack.cli(["delete", ...deleted])
    assert.strictEqual(result.code, 0, result.stderr)
    // Every window is held to the instances counted when it opened, and that count falls as
    // tear-downs finish: at most 5 go, the others are refused.
    const settled = await settle(stack, deleted)
    assert.isAtLeast(settled.torn, 3)
    const held = await refused(stack, deleted)
    const listed = await stack.cli(["get"])
    for (const name of held) assert.match(listed.stdout, new RegExp(`${name.replace(".", "\\.")}\\s.*CleanupRefused`))
    const { violations, polls } = await watch.stop()
    assert.deepStrictEqual(violations, [])
    assert.isAbove(polls, 10)

    // One approval releases exactly that one instance.
    const approved = await stack.cli(["cleanup", "approve", held[0]!])
    assert.strictEqual(approved.code, 0, approved.stderr)
    await waitUntil(`${held[0]} torn down once approved`, async () => (await tornDown(stack, [held[0]!])).length === 1, {
      timeoutMs: 40_000,
      intervalMs: 200
    })
    assert.strictEqual((await tornDown(stack, deleted)).length, settled.torn + 1)
    assert.strictEqual((await refused(stack, deleted)).length, held.length - 1)
    const stillHasSpec = await stack.cli(["cleanup", "approve", names[9]!])
    assert.strictEqual(stillHasSpec.code, 4)
  })

  it("9 of 10 deleted one by one, 1 s apart, with a short resync: never more than 5", async () => {
    const { stack } = await tenInstances("budget-1s", ["--resync", "3"])
    const deleted: Array<string> = []
    const watch = budgetHeld(stack, () => deleted, 5)
    for (const name of names.slice(0, 9)) {
      assert.strictEqual((await stack.cli(["delete", name])).code, 0)
      deleted.push(name)
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    const settled = await settle(stack, deleted)
    assert.isAtLeast(settled.torn, 3)
    assert.deepStrictEqual((await watch.stop()).violations, [])
    // 28 s of deliberately spaced deletions and a restart: more than the default per-test budget.
  }, 120_000)

  it("deletions 4 s apart across a controller restart spend one budget (its ledger is in etcd)", async () => {
    const { stack, controller } = await tenInstances("budget-restart", ["--resync", "3"])
    const deleted: Array<string> = []
    const watch = budgetHeld(stack, () => deleted, 5)
    const deleteSpaced = async (batch: ReadonlyArray<string>) => {
      for (const name of batch) {
        assert.strictEqual((await stack.cli(["delete", name])).code, 0)
        deleted.push(name)
        await new Promise((resolve) => setTimeout(resolve, 4_000))
      }
    }
    await deleteSpaced(names.slice(0, 2))
    await waitUntil("the first 2 torn down", async () => (await tornDown(stack, deleted)).length === 2, {
      timeoutMs: 30_000,
      intervalMs: 100
    })
    await controller.kill("SIGKILL")
    await stack.startController(["--resync", "3"])
    await deleteSpaced(names.slice(2, 7))
    const settled = await settle(stack, deleted)
    assert.isAtLeast(settled.torn, 3)
    assert.deepStrictEqual((await watch.stop()).violations, [])
    // 28 s of deliberately spaced deletions and a restart: more than the default per-test budget.
  }, 120_000)

  it("every spec removed with one delete-prefix (etcdctl del --prefix): nothing torn down, each refused", async () => {
    const { stack } = await tenInstances("budget-wipe")
    const watch = budgetHeld(stack, () => names, 0)
    await rawDeletePrefix(stack.etcd, `${stack.prefix}/specs/`)
    await waitUntil("all 10 refused", async () => (await refused(stack, names)).length === 10, { timeoutMs: 30_000, intervalMs: 100 })
    assert.deepStrictEqual((await watch.stop()).violations, [])
    assert.strictEqual((await stack.apps()).length, 10)
    assert.deepStrictEqual(stack.proxy.writes().filter((r) => r.method === "DELETE"), [])
  })
})

describe("app-lifecycle lock", () => {
  const holdLock = async (stack: Stack, lock: string) => {
    const holder = spawn(process.execPath, [
      join(import.meta.dirname, "..", "harness", "lockHolder.ts"),
      stack.etcd.endpoints,
      stack.prefix,
      lock,
      "5"
    ], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    holder.stdout.on("data", (chunk) => (output += chunk))
    await waitUntil(`${lock} held`, () => output.includes("locked"))
    return holder
  }

  it("a create waits while a tear-down holds it exclusively, and a tear-down waits for a create in progress", async () => {
    const stack = await startStack({ label: "lifecycle" })
    stacks.push(stack)
    await stack.cli(["apply", "-f", "-"], [manifest("keep.main", small), manifest("gone.main", small)].join("\n---\n"))
    for (const name of ["keep.main", "gone.main"]) assert.strictEqual((await stack.cli(["reconcile", name])).code, 0)
    await stack.cli(["delete", "gone.main"])
    await stack.cli(["apply", "-f", "-"], manifest("new.main", small))

    // A tear-down holds app-lifecycle exclusively: the create is refused (exit 5), nothing written.
    const teardown = await holdLock(stack, "app-lifecycle:exclusive")
    try {
      const blocked = await stack.cli(["reconcile", "new.main"])
      assert.strictEqual(blocked.code, 5, blocked.stderr)
      assert.deepStrictEqual(stack.proxy.writes().filter((r) => r.body.includes("new.main")), [])
    } finally {
      teardown.kill("SIGKILL")
    }
    // A create holds it shared: the tear-down waits, then gives its turn up (exit 5), deleting nothing.
    const create = await holdLock(stack, "app-lifecycle:shared")
    try {
      const before = stack.proxy.writes().length
      const waited = await stack.cli(["reconcile", "gone.main"])
      assert.strictEqual(waited.code, 5, waited.stderr)
      assert.strictEqual(stack.proxy.writes().length, before)
      assert.strictEqual(appsOf(await stack.apps(), "gone.main").length, 1)
    } finally {
      create.kill("SIGKILL")
    }
    // Both go through once the holders' leases have expired.
    await waitUntil("the create goes through", async () => (await stack.cli(["reconcile", "new.main"])).code === 0, {
      timeoutMs: 20_000,
      intervalMs: 500
    })
    assert.strictEqual(appsOf(await stack.apps(), "new.main").length, 1)
  })
})
