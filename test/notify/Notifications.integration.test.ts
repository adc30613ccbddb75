// Notifications end to end (design.md §15): real etcd, the Marathon emulator, real controller
// processes and a loopback receiver. Delivered once per (notifier, instance, generation, reason),
// across a receiver that fails and is slow, across a leader killed between the event and its
// delivery, and never in the way of a reconcile. (Timeouts beyond 15 s are proved on the TestClock
// in Sender.test.ts and Dispatcher.test.ts rather than waited for here.)
import { afterEach, assert, describe, it } from "vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeTestRepo } from "../harness/gitRepo.ts"
import type { Receiver } from "../harness/receiver.ts"
import { startReceiver } from "../harness/receiver.ts"
import type { Stack } from "../harness/stack.ts"
import { rolledOut, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"
import { verifySignature } from "../../src/notify/Signature.ts"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

const setup = async (label: string) => {
  const stack = await startStack({ label })
  const receiver = await startReceiver()
  cleanups.push(() => stack.close(), () => receiver.close())
  return { stack, receiver }
}

const secret = "hmac-key"
const controllerEnv = (receiver: Receiver) => ({ RECEIVER_URL: receiver.url, RECEIVER_KEY: secret })
const controllerArgs = ["--status-url", "http://status.example:8080"]

const notifier = (events: ReadonlyArray<string>, selector: Record<string, string> = { team: "payments" }) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "Notifier",
    metadata: { name: "ops" },
    spec: { urlEnv: "RECEIVER_URL", format: "generic", events, selector, secretEnv: "RECEIVER_KEY" }
  })

const instance = (name: string, image: string, labels: Record<string, string> = { team: "payments" }) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: { name, labels },
    spec: { image, instances: 1, bounce: { method: "brutal" } }
  })

const apply = async (stack: Stack, document: string) => {
  const result = await stack.cli(["apply", "-f", "-"], document)
  assert.strictEqual(result.code, 0, result.stderr)
}

interface Body {
  readonly instance: string
  readonly generation: number
  readonly event: { readonly reason: string }
  readonly appId: string | null
  readonly traceId: string | null
  readonly statusUrl: string | null
}
const bodies = (receiver: Receiver): Array<Body> => receiver.accepted().map((request) => JSON.parse(request.body) as Body)
const deliveredKeys = (receiver: Receiver) => receiver.accepted().map((request) => String(request.headers["x-mdeploy-delivery"]))

/** The ledger record of one notification, read through etcd's JSON gateway. */
const ledgerRecord = async (stack: Stack, subject: string, generation: number, reason: string): Promise<any> => {
  const key = `${stack.prefix}/notifications/ops/${subject}/${String(generation).padStart(10, "0")}/${reason}`
  const response = await fetch(`${stack.etcd.endpoints.split(",")[0]}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: Buffer.from(key).toString("base64") })
  })
  const value = ((await response.json()) as { kvs?: Array<{ value: string }> }).kvs?.[0]?.value
  return value === undefined ? undefined : JSON.parse(Buffer.from(value, "base64").toString("utf8"))
}

describe("notifications", () => {
  it("a rollout is told once, signed, naming instance, generation, app, trace and status page; a new leader resends nothing", async () => {
    const { stack, receiver } = await setup("notify-once")
    await apply(stack, notifier(["RolloutSucceeded"]))
    const first = await stack.startController(controllerArgs, controllerEnv(receiver))
    await apply(stack, instance("web.main", "web:1"))
    await apply(stack, instance("other.main", "other:1", { team: "search" }))
    await rolledOut(stack, "web.main", 1)
    await rolledOut(stack, "other.main", 1)
    await waitUntil("web.main generation 1 told", () => receiver.accepted().length === 1, { timeoutMs: 30_000 })
    const [body] = bodies(receiver)
    assert.strictEqual(body?.instance, "web.main")
    assert.strictEqual(body?.generation, 1)
    assert.strictEqual(body?.event.reason, "RolloutSucceeded")
    assert.match(body?.appId ?? "", /^\/web\.main\./)
    assert.match(body?.traceId ?? "", /^[0-9a-f]{32}$/)
    assert.strictEqual(body?.statusUrl, "http://status.example:8080/instances/web.main")
    const request = receiver.accepted()[0]!
    assert.isTrue(verifySignature(secret, request.body, request.headers["x-signature"] as string))

    // A leader change: the new leader lists the hour's events again and sends only what is new.
    await first.kill("SIGTERM")
    const second = await stack.startController(controllerArgs, controllerEnv(receiver))
    await waitUntil("the second leads", () => second.logs().includes("controller leading"), { timeoutMs: 20_000 })
    await apply(stack, instance("web.main", "web:2"))
    await rolledOut(stack, "web.main", 2)
    // Events are handled in order: once generation 2 is told, generation 1 was looked at again.
    await waitUntil("web.main generation 2 told", () => bodies(receiver).some((told) => told.generation === 2), { timeoutMs: 30_000 })
    assert.deepStrictEqual(deliveredKeys(receiver), ["ops/web.main/1/RolloutSucceeded", "ops/web.main/2/RolloutSucceeded"])
    // Settled right after the receiver answered.
    await waitUntil(
      "generation 2 settled",
      async () => (await ledgerRecord(stack, "web.main", 2, "RolloutSucceeded"))?.state === "delivered"
    )
    // The search team's instance is not the payments notifier's business.
    assert.notInclude(receiver.requests().map((entry) => entry.body).join(""), "other.main")
  })

  it("a receiver that is down, drops the connection, then answers slowly: delivered exactly once", async () => {
    const { stack, receiver } = await setup("notify-flaky")
    receiver.setMode((index) => (index === 0 ? "down" : index === 1 ? "dropped" : { slowMs: 1_500 }))
    await apply(stack, notifier(["RolloutSucceeded"]))
    await stack.startController(controllerArgs, controllerEnv(receiver))
    await apply(stack, instance("web.main", "web:1"))
    await rolledOut(stack, "web.main", 1)
    await waitUntil("delivered", async () => (await ledgerRecord(stack, "web.main", 1, "RolloutSucceeded"))?.state === "delivered", {
      timeoutMs: 40_000,
      intervalMs: 100
    })
    assert.strictEqual(receiver.requests().length, 3, "503, a dropped connection, then the slow success")
    assert.strictEqual(receiver.accepted().length, 1)
    assert.strictEqual(
      new Set(receiver.requests().map((entry) => entry.headers["x-mdeploy-delivery"])).size,
      1,
      "the same notification each time"
    )
    assert.strictEqual((await ledgerRecord(stack, "web.main", 1, "RolloutSucceeded"))?.attempts, 3)
  })

  it("the leader dies between the event and its delivery: the next leader delivers it, once", async () => {
    const { stack, receiver } = await setup("notify-failover")
    receiver.setMode("down")
    await apply(stack, notifier(["RolloutSucceeded"]))
    const first = await stack.startController(controllerArgs, controllerEnv(receiver))
    await waitUntil("the first leads", () => first.logs().includes("controller leading"), { timeoutMs: 20_000 })
    const second = await stack.startController(controllerArgs, controllerEnv(receiver))
    await apply(stack, instance("web.main", "web:1"))
    await rolledOut(stack, "web.main", 1)
    // The first leader has the event and is retrying against the dead receiver.
    await waitUntil("the first leader tried", () => receiver.requests().length >= 1, { timeoutMs: 30_000 })
    assert.strictEqual((await ledgerRecord(stack, "web.main", 1, "RolloutSucceeded"))?.state, "claimed")
    await first.kill("SIGKILL")
    receiver.setMode("ok")
    await waitUntil("the second leads", () => second.logs().includes("controller leading"), { timeoutMs: 20_000 })
    await waitUntil(
      "delivered by the second",
      async () => (await ledgerRecord(stack, "web.main", 1, "RolloutSucceeded"))?.state === "delivered",
      {
        timeoutMs: 40_000,
        intervalMs: 100
      }
    )
    assert.strictEqual(receiver.accepted().length, 1)
    assert.match((await ledgerRecord(stack, "web.main", 1, "RolloutSucceeded"))?.by ?? "", new RegExp(`/${second.process.pid}$`))
  })

  it("a receiver that never answers does not hold a reconcile back", async () => {
    const { stack, receiver } = await setup("notify-hang")
    receiver.setMode("hang")
    await apply(stack, notifier(["RolloutSucceeded"], {}))
    await stack.startController(controllerArgs, controllerEnv(receiver))
    await apply(stack, instance("web.main", "web:1"))
    await rolledOut(stack, "web.main", 1)
    await waitUntil("a delivery hangs", () => receiver.open() >= 1, { timeoutMs: 30_000 })
    // While it hangs, another rollout goes through well within one call timeout (15 s).
    const started = performance.now()
    await apply(stack, instance("web.main", "web:2"))
    await rolledOut(stack, "web.main", 2, 30_000)
    const seconds = (performance.now() - started) / 1000
    assert.isAtLeast(receiver.open(), 1, "the receiver still holds a request")
    assert.isBelow(seconds, 12)
  })

  it("a spec a GitSource wrote names its revision and commit subject; a failing sync is told once per failing commit", async () => {
    const { stack, receiver } = await setup("notify-gitops")
    const git = makeTestRepo()
    const cacheDir = mkdtempSync(join(tmpdir(), "mdeploy-notify-cache-"))
    cleanups.push(async () => {
      git.close()
      rmSync(cacheDir, { recursive: true, force: true })
    })
    const commit = git.commit({ "web.yaml": instance("web.main", "web:1") }, "Roll web out\n\nwith a body that is not sent")
    await apply(stack, notifier(["RolloutSucceeded", "SyncFailed"], {}))
    await stack.startController([...controllerArgs, "--gitops-cache-dir", cacheDir], controllerEnv(receiver))
    await apply(
      stack,
      JSON.stringify({
        apiVersion: "mdeploy.dev/v1",
        kind: "GitSource",
        metadata: { name: "specs" },
        spec: { url: git.url, interval: "2s" }
      })
    )
    await rolledOut(stack, "web.main", 1, 60_000)
    assert.strictEqual((await stack.spec("web.main"))?.metadata?.annotations?.["mdeploy.dev/revision"], `${commit} Roll web out`)
    await waitUntil("the rollout told", () => bodies(receiver).some((told) => told.event.reason === "RolloutSucceeded"), {
      timeoutMs: 30_000
    })
    const told = JSON.parse(receiver.accepted()[0]!.body) as { revision: string; commit: string }
    assert.deepStrictEqual([told.revision, told.commit], [commit, "Roll web out"])

    // A broken commit: the sync fails on every poll (every 2 s), and is told once.
    const broken = git.commit({ "bad.yaml": "kind: ServiceInstance\nmetadata: {name: Bad}\n" }, "Break the specs")
    await waitUntil("the failed sync told", () => bodies(receiver).some((entry) => entry.event.reason === "SyncFailed"), {
      timeoutMs: 30_000
    })
    const failed = receiver.accepted().map((request) =>
      JSON.parse(request.body) as { instance: string; revision: string; event: { reason: string; count: number } }
    )
      .find((entry) => entry.event.reason === "SyncFailed")!
    assert.deepStrictEqual([failed.instance, failed.revision], ["gitsource:specs", broken])
    // Later polls fail the same way (the event counts up); nothing more is sent.
    await waitUntil("more failed polls", async () => {
      const events = await stack.cli(["events", "gitsource:specs", "-o", "json"])
      return events.stdout.includes("SyncFailed") && /"count":\s*[3-9]/.test(events.stdout)
    }, { timeoutMs: 30_000, intervalMs: 500 })
    assert.strictEqual(bodies(receiver).filter((entry) => entry.event.reason === "SyncFailed").length, 1)
  })
})
