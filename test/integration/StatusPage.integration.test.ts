import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { chromium } from "playwright-core"
import { afterAll, beforeAll } from "vitest"
import type { ControllerProcess, Stack } from "../harness/stack.ts"
import { manifest, rolledOut, slowCrossover, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

// The status page in a real browser (headless Chromium driven by playwright-core), on the real
// controller's --http-addr, over real etcd and the emulator: during a crossover bounce the page
// shows the instance and its progress moving, the instance page's timeline gains steps as the
// rollout goes, and an instance whose old tasks never finish draining is shown stalled. The page
// never reloads: what changes arrives through its own polling. No console errors.

const chromiumPath = "/usr/bin/chromium"
const secret = "hunter2-never-shown"

let stack: Stack
let controller: ControllerProcess
let browser: Browser
let base: string
const dir = mkdtempSync(join(tmpdir(), "mdeploy-status-page-"))

beforeAll(async () => {
  // New tasks take 8 s to turn healthy (with `slowHealth`), so a page polling every 2 s sees the progress move.
  stack = await startStack({ label: "statuspage", sim: { healthyAfterMs: 8_000 } })
  controller = await stack.startController(["--http-addr", "127.0.0.1:0"])
  const port = await waitUntil(
    "the http server's address in the log",
    () => /listening" url=http:\/\/127\.0\.0\.1:(\d+)/.exec(controller.logs())?.[1],
    {
      timeoutMs: 30_000
    }
  )
  base = `http://127.0.0.1:${port}`
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] })
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

const apply = async (name: string, spec: Record<string, unknown>) => {
  const applied = await stack.cli(["apply", "-f", "-"], manifest(name, spec))
  assert.strictEqual(applied.code, 0, applied.stderr)
}

// The emulator's first health check comes after min(healthyAfterMs, intervalSeconds).
const slowHealth = { healthCheck: { protocol: "MESOS_HTTP", path: "/status", gracePeriodSeconds: 20, intervalSeconds: 8 } }

const getJson = async (path: string): Promise<any> => {
  const response = await fetch(`${base}${path}`)
  assert.strictEqual(response.status, 200, `${path}: ${response.status}`)
  return response.json()
}

describe("the status page", () => {
  it("follows a crossover bounce live, shows its timeline and a stalled instance, with no console errors", async () => {
    const web = "web.main"
    const stuck = "stuck.main"
    await apply(web, { ...slowCrossover("web:1"), ...slowHealth, env: { API_TOKEN: secret } })
    // Old tasks of `stuck` never become safe to kill: its second rollout stalls after 3 s.
    const neverDrains = {
      ...slowCrossover("stuck:1", 2),
      drain: { method: "test", params: { delay: 100_000 } },
      bounce: { method: "crossover", progressDeadlineSeconds: 3 }
    }
    await apply(stuck, neverDrains)
    await rolledOut(stack, web, 1, 120_000)
    await rolledOut(stack, stuck, 1, 120_000)

    const page = await browser.newPage()
    const problems: Array<string> = []
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()} (${message.location().url})`)
    })
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    const response = await page.goto(`${base}/`)
    assert.strictEqual(response?.status(), 200)
    assert.include(response?.headers()["content-security-policy"] ?? "", "default-src 'none'")
    const row = (name: string) => page.locator(`tr[data-instance="${name}"]`)
    await waitUntil("both instances listed", async () => (await row(web).count()) === 1 && (await row(stuck).count()) === 1, {
      timeoutMs: 30_000
    })

    // A crossover bounce of `web`, followed on the open page (no reload): progress is read as it changes.
    await apply(web, { ...slowCrossover("web:2"), ...slowHealth, env: { API_TOKEN: secret } })
    await apply(stuck, { ...neverDrains, image: "stuck:2" })
    const progressSeen = new Set<string>()
    const phasesSeen = new Set<string>()
    await waitUntil("web rolled out, seen on the page", async () => {
      const progress = await row(web).locator("[data-progress]").getAttribute("data-progress", { timeout: 5_000 })
      const text = await row(web).locator("td").nth(1).textContent({ timeout: 5_000 })
      if (progress !== null) progressSeen.add(progress)
      if (text !== null) phasesSeen.add(text.trim())
      const status = await stack.status(web)
      return status?.observedGeneration === 2 && status.phase === "Running" && text?.trim() === "Running" && progress === "3/3"
    }, { timeoutMs: 120_000, intervalMs: 100 })
    assert.isAbove(progressSeen.size, 1, `progress seen: ${[...progressSeen].join(", ")}; phases seen: ${[...phasesSeen].join(", ")}`)
    assert.isTrue([...phasesSeen].some((phase) => phase.startsWith("Bouncing")), `phases seen: ${[...phasesSeen].join(", ")}`)

    // `stuck` is stalled on the page: its drains never finish.
    await waitUntil("stuck shown stalled", async () => (await row(stuck).getAttribute("data-stalled", { timeout: 5_000 })) === "true", {
      timeoutMs: 120_000,
      intervalMs: 200
    })
    assert.include((await row(stuck).textContent()) ?? "", "stalled")
    // Stalled instances come first.
    assert.strictEqual(await page.locator("tbody tr").first().getAttribute("data-instance"), stuck)

    // The instance page: the rollout of generation 2 as a timeline of steps.
    await page.goto(`${base}/instances/${web}`)
    const steps = page.locator(`section.rollout[data-generation="2"] [data-step]`)
    await waitUntil(
      "web's rollout 2 succeeded with its steps",
      async () => (await page.locator(`section.rollout[data-generation="2"][data-result="Succeeded"]`).count()) === 1,
      { timeoutMs: 60_000, intervalMs: 200 }
    )
    const names = await steps.evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-step")))
    assert.include(names, "create app")
    assert.include(names, "delete old app")
    assert.isTrue(names.some((name) => name?.startsWith("drain ")), names.join(", "))
    assert.isTrue(names.some((name) => name?.startsWith("wait for ")), names.join(", "))

    // The stuck instance's page gains steps while its rollout stays open, without a reload.
    await page.goto(`${base}/instances/${stuck}`)
    const stuckSteps = page.locator(`section.rollout[data-generation="2"] [data-step]`)
    const first = await waitUntil("stuck's rollout 2 on its page", async () => {
      const count = await stuckSteps.count()
      return count > 0 ? count : undefined
    }, { timeoutMs: 60_000, intervalMs: 200 })
    assert.isAtLeast(first, 1)
    assert.strictEqual(await page.locator(`table.facts`).getAttribute("data-stalled"), "true")
    await page.screenshot({ path: join(dir, "stuck.png"), fullPage: true })
    assert.isAbove(statSync(join(dir, "stuck.png")).size, 1_000)
    await page.goto(`${base}/`)
    await page.screenshot({ path: join(dir, "index.png"), fullPage: true })

    // The JSON API says the same, without secrets.
    const instances = await getJson("/api/v1/instances")
    const webView = instances.items.find((item: any) => item.name === web)
    assert.strictEqual(webView.phase, "Running")
    assert.strictEqual(webView.generation, 2)
    assert.strictEqual(webView.observedGeneration, 2)
    assert.strictEqual(webView.tasks.happyNew, 3)
    const rollouts = await getJson(`/api/v1/instances/${web}/rollouts`)
    assert.deepStrictEqual(rollouts.items.map((rollout: any) => [rollout.generation, rollout.result]), [[2, "Succeeded"], [1, "Succeeded"]])
    for (const step of rollouts.items[0].steps) {
      assert.match(step.traceId, /^[0-9a-f]{32}$/)
      assert.strictEqual(step.attributes["mdeploy.instance"], web)
      assert.strictEqual(step.attributes["mdeploy.generation"], 2)
      assert.isString(step.attributes["mdeploy.app_id"])
    }
    const events = await getJson(`/api/v1/events?instance=${web}&since=1h`)
    assert.isAbove(events.items.length, 0)
    for (const path of ["/api/v1/instances", `/api/v1/instances/${web}/rollouts`, "/api/v1/events", "/", `/instances/${web}`]) {
      const body = await (await fetch(`${base}${path}`)).text()
      assert.notInclude(body, secret, path)
    }
    // Ready while etcd answers, on any replica.
    assert.strictEqual((await fetch(`${base}/readyz`)).status, 200)
    // One server: /metrics is served there too.
    const metrics = await fetch(`${base}/metrics`)
    assert.strictEqual(metrics.status, 200)
    assert.include(await metrics.text(), "mdeploy_")

    // The CLI reads the same rollouts: describe shows the newest one's steps, history their durations.
    const described = await stack.cli(["describe", web])
    assert.match(
      described.stdout,
      /Rollout:\n\s+Generation 2: Succeeded in [\d.]+s \(\/web\.main\.[^)]+\)\n\s+STEP\s+STARTED\s+DURATION\s+KIND\s+TRACE\n\s+create app\s/
    )
    const history = await stack.cli(["rollout", "history", web])
    assert.match(history.stdout, /^REVISION\s+RECORDED\s+IMAGE\s+CHANGES\s+ROLLOUT\s+STEPS\n/)
    assert.match(
      history.stdout,
      /2 \(current\).*Succeeded in [\d.]+s\s+create app [\d.]+s, wait for Marathon [\d.]+s, drain \d/,
      history.stdout
    )

    assert.deepStrictEqual(problems, [])
  }, 400_000)

  it("is served by a standby too, and --metrics-addr is the same server on a second address", async () => {
    const standby = await stack.startController(["--http-addr", "127.0.0.2:0", "--metrics-addr", "127.0.0.1:0"])
    const urls = await waitUntil("both addresses in the standby's log", () => {
      const found = [...new Set([...standby.logs().matchAll(/listening" url=(http:\/\/127\.0\.0\.[12]:\d+)/g)].map((match) => match[1]!))]
      return found.length === 2 ? found : undefined
    }, { timeoutMs: 30_000 }).catch((error) => {
      throw new Error(`${error.message}\n${standby.logs().slice(-3_000)}`)
    })
    for (const url of urls) {
      const page = await fetch(`${url}/`)
      assert.strictEqual(page.status, 200, url)
      assert.include(await page.text(), `data-instance="web.main"`)
      assert.strictEqual((await fetch(`${url}/metrics`)).status, 200, url)
      assert.strictEqual((await fetch(`${url}/api/v1/instances/web.main/rollouts`)).status, 200, url)
    }
    assert.notInclude(standby.logs(), "controller leading")
  }, 120_000)
})
