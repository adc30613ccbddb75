import { assert, describe, it } from "@effect/vitest"
import { createServer } from "node:http"
import type { Server, ServerResponse } from "node:http"
import { afterEach } from "vitest"
import { runCli } from "../harness/cli.ts"
import { rawCount, rawGet, rawPut, uniquePrefix } from "../harness/etcd.ts"
import { watchInvariant } from "../harness/invariant.ts"
import type { RecordedRequest, RecordingProxy } from "../harness/recordingProxy.ts"
import { killedTaskIds, startRecordingProxy, taskIdsKilledBy } from "../harness/recordingProxy.ts"
import type { MarathonApp, Stack } from "../harness/stack.ts"
import { appsOf, happyTasks, manifest, rolledOut, slowCrossover, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// Design §11 against the real controller, etcd and the emulator: what a controller may never do to
// a running service, whatever it is told or shown. Each invariant is asserted on every poll.

const stacks: Array<Stack> = []
const proxies: Array<RecordingProxy> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
})

const admin = async (stack: Stack, path: string, body: unknown, method = "POST") => {
  const response = await fetch(`${stack.sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body)
  })
  assert.isTrue(response.ok, `${method} ${path}: ${response.status} ${await response.text()}`)
}

const running = (app: MarathonApp | undefined) => (app?.tasks ?? []).filter((task) => task.state === "TASK_RUNNING").length

/** The app ids a write names: the app path, or the apps of the task ids it kills. */
const appsWritten = (request: RecordedRequest): Array<string> => {
  const app = request.path.match(/^\/v2\/apps(\/[^?]+?)(\/tasks.*|\/restart)?(\?.*)?$/)
  if (app !== null && request.method !== "POST") return [app[1]!]
  return killedTaskIds([{ ...request, status: 200 }]).map((taskId) => `/${taskId.slice(0, taskId.indexOf(".instance-"))}`)
}

describe("undecodable and deleted specs", () => {
  it("a stored spec the controller cannot decode: phase Invalid, and nothing of its instance is touched", async () => {
    const stack = await startStack({ label: "undecodable" })
    stacks.push(stack)
    const controller = await stack.startController(["--resync", "2"])
    await stack.cli(["apply", "-f", "-"], manifest("web.main", { ...slowCrossover("web:1", 2), drain: { method: "noop" } }))
    await rolledOut(stack, "web.main", 1)
    const [app] = appsOf(await stack.apps(), "web.main")
    const watch = watchInvariant(async () => {
      const now = appsOf(await stack.apps(), "web.main")
      return now.length !== 1 || running(now[0]) !== 2
        ? `web.main has ${now.length} app(s) with ${running(now[0])} running task(s)`
        : undefined
    })
    // One unknown field, as a newer writer or a hand edit with etcdctl would leave it.
    const key = `${stack.prefix}/specs/web.main`
    const stored = JSON.parse((await rawGet(stack.etcd, key))!)
    const writesBefore = stack.proxy.writes().length
    await rawPut(stack.etcd, key, JSON.stringify({ ...stored, spec: { ...stored.spec, fromTheFuture: true } }))
    const status = await waitUntil("phase Invalid", async () => {
      const current = await stack.status("web.main")
      return current?.phase === "Invalid" ? current : undefined
    }, { timeoutMs: 20_000 })
    assert.match(status.lastReconcile.error, /cannot be used/)
    // Two more resyncs look at it and leave it alone.
    const sightings = () => controller.logs().split("instance left alone").length - 1
    const seen = sightings()
    await waitUntil("two more passes", () => sightings() >= seen + 2, { timeoutMs: 20_000 })
    assert.deepStrictEqual((await watch.stop()).violations, [])
    assert.deepStrictEqual(stack.proxy.writes().slice(writesBefore).map((r) => `${r.method} ${r.path}`), [])
    assert.strictEqual(appsOf(await stack.apps(), "web.main")[0]?.id, app!.id)
  })

  it("mdeploy delete drains the tasks with the instance's drain method before any is killed", async () => {
    const stack = await startStack({ label: "delete-drains" })
    stacks.push(stack)
    await stack.startController()
    const delaySeconds = 6
    // Two instances stay: the deletion budget never lets the last managed instances go.
    const others = ["api.main", "worker.main"].map((name) => manifest(name, { cmd: "sleep 100000", instances: 1 }))
    await stack.cli(
      ["apply", "-f", "-"],
      [manifest("web.main", { ...slowCrossover("web:1", 3), drain: { method: "test", params: { delay: delaySeconds } } }), ...others].join(
        "\n---\n"
      )
    )
    for (const name of ["web.main", "api.main", "worker.main"]) await rolledOut(stack, name, 1)
    const deletedAt = performance.now()
    // The test drain counts its delay on the wall clock (a drain record outlives the process that
    // wrote it); a failure says how far the wall clock moved against the monotonic one meanwhile.
    const wallOffsetAtDelete = Date.now() - deletedAt
    const watch = watchInvariant(async () => {
      const elapsed = (performance.now() - deletedAt) / 1000
      const tasks = running(appsOf(await stack.apps(), "web.main")[0])
      return elapsed < delaySeconds - 1 && tasks < 3 ? `${tasks} running task(s) ${elapsed.toFixed(1)} s after delete` : undefined
    })
    assert.strictEqual((await stack.cli(["delete", "web.main"])).code, 0)
    await waitUntil("drain records of the 3 tasks", async () => (await rawCount(stack.etcd, `${stack.prefix}/drain/web.main/`)) === 3, {
      timeoutMs: 10_000
    })
    await waitUntil("apps removed", async () => appsOf(await stack.apps(), "web.main").length === 0, { timeoutMs: 40_000, intervalMs: 100 })
    assert.deepStrictEqual((await watch.stop()).violations, [])
    const kills = stack.proxy.writes().filter((r) => killedTaskIds([r]).length > 0 || r.method === "DELETE")
    assert.isAbove(kills.length, 0)
    const wallClockMovedMs = Date.now() - performance.now() - wallOffsetAtDelete
    for (const kill of kills) {
      assert.isAtLeast(
        (kill.at - deletedAt) / 1000,
        delaySeconds - 0.5,
        `${kill.method} ${kill.path} came before the drain delay (the wall clock moved ${
          wallClockMovedMs.toFixed(0)
        } ms against the monotonic clock)`
      )
    }
  })
})

describe("ownership", () => {
  it("two installations on one Marathon with churn for 20 s: neither writes to the other's apps", async () => {
    const stack = await startStack({ label: "owner-a" })
    stacks.push(stack)
    const other = await startRecordingProxy(stack.sim.url)
    proxies.push(other)
    const envB = { ...stack.env, MDEPLOY_ETCD_PREFIX: uniquePrefix("owner-b"), MDEPLOY_MARATHON_URLS: other.url }
    const cliA = (args: ReadonlyArray<string>, stdin?: string) => stack.cli(args, stdin)
    const cliB = (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env: envB, ...(stdin === undefined ? {} : { stdin }) })
    await stack.startController(["--resync", "2"])
    await stack.startController(["--resync", "2"], envB)
    const spec = (image: string, version: number) => ({
      ...slowCrossover(image, 2),
      env: { VERSION: String(version) },
      drain: { method: "noop" }
    })
    const started = performance.now()
    for (let round = 0; performance.now() - started < 20_000; round++) {
      // Same names in both installations, one identical spec (same app id), one deleted and re-made.
      await cliA(
        ["apply", "-f", "-"],
        [manifest("web.main", spec("web:a", round)), manifest("same.main", spec("same:1", 0))].join("\n---\n")
      )
      await cliB(
        ["apply", "-f", "-"],
        [manifest("web.main", spec("web:b", round)), manifest("same.main", spec("same:1", 0))].join("\n---\n")
      )
      if (round % 3 === 1) await cliB(["delete", "web.main"])
      await new Promise((resolve) => setTimeout(resolve, 1_500))
    }
    const ownApps = (proxy: { readonly writes: () => ReadonlyArray<RecordedRequest> }) =>
      new Set(
        proxy.writes().filter((r) => r.method === "POST" && r.path.startsWith("/v2/apps") && r.status === 201).map((r) =>
          (JSON.parse(r.body) as { id: string }).id
        )
      )
    const check = (name: string, proxy: { readonly writes: () => ReadonlyArray<RecordedRequest> }) => {
      const mine = ownApps(proxy)
      const foreign = proxy.writes().filter((r) => !(r.method === "POST" && r.path.startsWith("/v2/apps"))).filter((r) =>
        appsWritten(r).some((id) => !mine.has(id))
      )
      assert.deepStrictEqual(foreign.map((r) => `${r.method} ${r.path} ${r.body}`), [], `${name} wrote to apps it did not create`)
      assert.isAbove(proxy.writes().length, 4, `${name} did work`)
    }
    check("installation A", stack.proxy)
    check("installation B", other)
    const labels = (await stack.apps()).map((app) => app.labels?.["MDEPLOY_OWNER"])
    assert.strictEqual(new Set(labels).size, 2, "every app carries one of the two owners")
  })
})

describe("leadership", () => {
  it("a leader frozen mid-bounce and resumed after its successor leads starts no write, and no task is killed twice", async () => {
    const stack = await startStack({ label: "frozen" })
    stacks.push(stack)
    const other = await startRecordingProxy(stack.sim.url)
    proxies.push(other)
    const first = await stack.startController(["--leader-ttl", "2"])
    await waitUntil("first leads", () => first.logs().includes("controller leading"))
    const second = await stack.startController(["--leader-ttl", "2"], { MDEPLOY_MARATHON_URLS: other.url })
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1", 4)))
    await rolledOut(stack, "web.main", 1)
    // Freeze the leader with the first kill of its bounce in flight: the kill reaches Marathon, and
    // its answer and whatever the leader would do next (kill more, delete the old app) wait for the
    // resume, so the successor always has work left. Frozen once the kill had been answered, the
    // leader could already have deleted the old app, leaving its successor nothing to write.
    let frozen = false
    stack.proxy.onceBeforeForward((request) => taskIdsKilledBy(request).length > 0, () => {
      first.process.kill("SIGSTOP")
      frozen = true
    })
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2", 4)))
    await waitUntil("the leader kills", () => frozen, { timeoutMs: 30_000 })
    await waitUntil("the standby leads", () => second.logs().includes("controller leading"), { timeoutMs: 20_000 })
    await waitUntil("the new leader writes", () => other.writes().length > 0, { timeoutMs: 20_000 })
    const resumedAt = performance.now()
    first.process.kill("SIGCONT")
    await rolledOut(stack, "web.main", 2)
    await waitUntil("the resumed process knows it lost", () => first.logs().includes("leadership lost"), { timeoutMs: 20_000 })
    const late = stack.proxy.writes().filter((r) => r.at > resumedAt)
    assert.deepStrictEqual(late.map((r) => `${r.method} ${r.path}`), [], "writes started by a deposed leader")
    const killed = [...killedTaskIds(stack.proxy.writes()), ...killedTaskIds(other.writes())]
    assert.strictEqual(new Set(killed).size, killed.length, `a task was killed twice: ${killed.join(", ")}`)
  })
})

/**
 * A hacheck on every emulated agent (127.0.0.2-4): it keeps each spool's up/down state as hacheck
 * does until told to hang, and then takes requests and never answers — the drain backend of an
 * instance whose sidecar froze.
 */
const startHacheck = async (agents: number) => {
  const down = new Map<string, number>()
  const pending = new Set<ServerResponse>()
  let hanging = false
  const servers: Array<Server> = []
  let port = 0
  for (let i = 0; i < agents; i++) {
    const server = createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        if (hanging) {
          pending.add(response)
          response.on("close", () => pending.delete(response))
          return
        }
        const spool = `${request.socket.localAddress} ${request.url}`
        if (request.method === "POST") {
          const status = new URLSearchParams(body).get("status")
          if (status === "down") down.set(spool, Date.now() / 1000)
          else down.delete(spool)
          response.end()
          return
        }
        const since = down.get(spool)
        response.statusCode = since === undefined ? 200 : 503
        response.end(since === undefined ? "" : `Service web in down state since ${since.toFixed(3)}: Drained by mdeploy`)
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, `127.0.0.${i + 2}`, () => resolve())
    })
    if (port === 0) port = (server.address() as { port: number }).port
    servers.push(server)
  }
  return {
    port,
    hang: () => {
      hanging = true
    },
    /** Requests held without an answer. */
    open: () => pending.size,
    close: async () => {
      for (const response of pending) response.destroy()
      await Promise.all(servers.map((server) => {
        server.closeAllConnections()
        return new Promise((resolve) => server.close(resolve))
      }))
    }
  }
}

describe("liveness", () => {
  it("a drain backend that never answers holds its own instance only: edits of two others roll out promptly, and its old tasks stay", async () => {
    const stack = await startStack({ label: "black-hole" })
    stacks.push(stack)
    const hole = await startHacheck(3)
    const healthy = await startHacheck(3)
    try {
      await stack.startController()
      const stuck = (image: string) => ({
        image,
        // More tasks than the drain calls all instances together may have in flight (32).
        instances: 40,
        ports: [8080],
        bounce: { method: "crossover" },
        drain: { method: "hacheck", params: { hacheckPort: hole.port, delay: 1 }, timeoutSeconds: 60 }
      })
      // The others drain through a hacheck that answers: they need drain calls too.
      const quick = (image: string) => ({
        image,
        instances: 2,
        ports: [8080],
        bounce: { method: "crossover" },
        drain: { method: "hacheck", params: { hacheckPort: healthy.port, delay: 0 } }
      })
      const applied = await stack.cli(
        ["apply", "-f", "-"],
        [manifest("hole.main", stuck("hole:1")), manifest("a.main", quick("a:1")), manifest("b.main", quick("b:1"))].join("\n---\n")
      )
      assert.strictEqual(applied.code, 0, applied.stderr)
      for (const name of ["hole.main", "a.main", "b.main"]) await rolledOut(stack, name, 1)
      const [old] = appsOf(await stack.apps(), "hole.main")
      hole.hang()
      await stack.cli(["apply", "-f", "-"], manifest("hole.main", stuck("hole:2")))
      await waitUntil("drain calls hanging on the black hole", () => hole.open() > 0, { timeoutMs: 20_000 })
      // The instance whose drain never answers keeps every old task, on every poll.
      const watch = watchInvariant(async () => {
        const tasks = running((await stack.trueApps()).find((app) => app.id === old!.id))
        return tasks < 40 ? `old app of hole.main down to ${tasks} running tasks with no drain confirmed` : undefined
      }, 50)
      const edited = performance.now()
      await stack.cli(["apply", "-f", "-"], [manifest("a.main", quick("a:2")), manifest("b.main", quick("b:2"))].join("\n---\n"))
      // Well inside one drain call's 60 s cap: the hanging calls hold nothing the others need.
      await rolledOut(stack, "a.main", 2, 20_000)
      await rolledOut(stack, "b.main", 2, 20_000)
      const seconds = (performance.now() - edited) / 1000
      assert.isBelow(hole.open(), 5, "one instance's drain calls are bounded by its own permits")
      assert.deepStrictEqual((await watch.stop()).violations, [])
      // hole.main itself waits on its drain: generation 2 is not rolled out.
      const holeStatus = await stack.status("hole.main")
      assert.isFalse(holeStatus?.observedGeneration === 2 && holeStatus.phase === "Running")
      assert.isBelow(seconds, 30)
    } finally {
      await hole.close()
      await healthy.close()
    }
  })
})

describe("untrustworthy answers", () => {
  it("empty and task-less list answers mid-crossover: the capacity floor holds on every poll and the bounce finishes", async () => {
    const stack = await startStack({ label: "untrusted" })
    stacks.push(stack)
    const controller = await stack.startController(["--resync", "1"])
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:1", 3)))
    await rolledOut(stack, "web.main", 1)
    const watch = watchInvariant(async () => {
      const happy = appsOf(await stack.trueApps(), "web.main").reduce((sum, app) => sum + happyTasks(app), 0)
      return happy < 3 ? `${happy} happy tasks, floor 3` : undefined
    }, 20)
    await stack.cli(["apply", "-f", "-"], manifest("web.main", slowCrossover("web:2", 3)))
    await waitUntil("bounce under way", async () => (await stack.status("web.main"))?.phase === "Bouncing", { intervalMs: 10 })
    await admin(stack, "/__sim/faults", { route: "/v2/apps", method: "GET", answer: "noTasks", times: 6 })
    await waitUntil(
      "task-less answers met",
      () => controller.logs().includes("not trusted") || controller.logs().includes("not confirmed"),
      { timeoutMs: 20_000 }
    )
    await admin(stack, "/__sim/faults", { route: "/v2/apps", method: "GET", answer: "empty", times: 6 })
    await rolledOut(stack, "web.main", 2, 60_000)
    assert.deepStrictEqual((await watch.stop()).violations, [])
  })

  it("Marathon's clock 30 s behind (as its task timestamps show): new tasks without health results are not trusted early, and the floor holds", async () => {
    const stack = await startStack({ label: "skew" })
    stacks.push(stack)
    await stack.startController(["--resync", "1"])
    const spec = (image: string, extra: Record<string, unknown> = {}) => ({
      ...slowCrossover(image, 3),
      healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 20, intervalSeconds: 1 },
      ...extra
    })
    await stack.cli(["apply", "-f", "-"], manifest("web.main", spec("web:1")))
    await rolledOut(stack, "web.main", 1)
    const [old] = appsOf(await stack.apps(), "web.main")
    // By Marathon's clock every new task is at once older than grace + 5 × interval (25 s).
    await admin(stack, "/__sim/clock/skew", { seconds: -30 })
    // The new app's tasks run but report no health results at all.
    await stack.cli(["apply", "-f", "-"], manifest("web.main", spec("web:2", { paused: true })))
    const dry = await stack.cli(["reconcile", "web.main", "--dry-run", "-o", "json"])
    const appId = JSON.parse(dry.stdout).plan.appId as string
    await admin(stack, `/__sim/apps/${appId.slice(1)}/behaviour`, { health: "silent" }, "PUT")
    const watch = watchInvariant(async () => {
      const oldNow = (await stack.apps()).find((app) => app.id === old!.id)
      return happyTasks(oldNow) < 3
        ? `old app down to ${happyTasks(oldNow)} happy tasks while the new ones never passed a check`
        : undefined
    }, 20)
    assert.strictEqual((await stack.cli(["rollout", "resume", "web.main"])).code, 0)
    await waitUntil("the new tasks run", async () => running((await stack.apps()).find((app) => app.id === appId)) === 3, {
      timeoutMs: 20_000
    })
    // The controller looks again and again (a full list every resync) and still keeps the old tasks.
    const listsBefore = stack.proxy.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v2/apps")).length
    await waitUntil(
      "eight more looks at Marathon",
      () => stack.proxy.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v2/apps")).length >= listsBefore + 8,
      { timeoutMs: 20_000 }
    )
    assert.deepStrictEqual((await watch.stop()).violations, [])
    assert.deepStrictEqual(killedTaskIds(stack.proxy.writes()).filter((id) => id.startsWith(old!.id.slice(1))), [])
  })
})
