// GitOps through the real `mdeploy controller` processes: a GitSource applied with `mdeploy apply`
// beside a ServiceInstance, a commit reaching etcd and Marathon, webhooks received by a standby
// replica and handled by the leader, and the sync carried on by the next leader after the first dies.
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "../../src/store/LocalEtcd.ts"
import type { TestRepo } from "../harness/gitRepo.ts"
import { instanceYaml, makeTestRepo } from "../harness/gitRepo.ts"
import type { Stack } from "../harness/stack.ts"
import { appsOf, startStack } from "../harness/stack.ts"
import { waitUntil } from "../harness/wait.ts"

let stack: Stack
let git: TestRepo
let cacheDir: string
beforeAll(async () => {
  stack = await startStack({ label: "gitops" })
  git = makeTestRepo()
  cacheDir = mkdtempSync(join(tmpdir(), "mdeploy-gitops-cache-"))
})
afterAll(async () => {
  await stack?.close()
  git?.close()
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true })
})

const secret = "webhook-secret"
const signed = (body: Buffer) => ({ "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` })

describe("GitOps in the controller", () => {
  it("a commit becomes a rollout; webhooks on any replica reach the leader, and the next leader after a failover", async () => {
    git.commit({ "web.yaml": instanceYaml("web.main", "registry.example/web:1") }, "add web")
    const ports = [await freePort(), await freePort()]
    const controllerEnv = { GIT_WEBHOOK_SECRET: secret }
    const start = (port: number) =>
      stack.startController(["--http-addr", `127.0.0.1:${port}`, "--gitops-cache-dir", cacheDir], controllerEnv)
    const first = await start(ports[0]!)
    const second = await start(ports[1]!)

    const source = [
      "apiVersion: mdeploy.dev/v1",
      "kind: GitSource",
      "metadata: {name: specs}",
      `spec: {url: "${git.url}", interval: 1h, webhook: {secretEnv: GIT_WEBHOOK_SECRET}}`,
      "---",
      instanceYaml("hand.main", "registry.example/hand:1")
    ].join("\n")
    const applied = await stack.cli(["apply", "-f", "-"], source)
    assert.strictEqual(applied.code, 0, applied.stderr)
    assert.match(applied.stdout, /gitsource\/specs created/)
    assert.match(applied.stdout, /serviceinstance\/hand\.main created/)

    // The source's first sync writes web.main, and the controller rolls it out on Marathon.
    await waitUntil("web.main from git", async () => (await stack.spec("web.main"))?.spec?.image === "registry.example/web:1")
    await waitUntil("web.main on Marathon", async () => appsOf(await stack.apps(), "web.main").length > 0, { timeoutMs: 30_000 })

    const listed = await stack.cli(["get", "gitsources"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /specs\s+file:\/\/\S+\s+branch main\s+True\s+Synced/)

    // A webhook to whichever replica: the leader syncs it.
    const body = Buffer.from("{}")
    const hook = async (port: number) => {
      const response = await fetch(`http://127.0.0.1:${port}/hooks/git/specs`, { method: "POST", body, headers: signed(body) })
      assert.strictEqual(response.status, 202, await response.text())
    }
    git.commit({ "web.yaml": instanceYaml("web.main", "registry.example/web:2") }, "bump web")
    // Only that the webhook alone brings the commit (the interval is 1h); `make bench` (gitops) measures the latency.
    await hook(ports[1]!)
    await waitUntil("web:2 in etcd", async () => (await stack.spec("web.main"))?.spec?.image === "registry.example/web:2", {
      timeoutMs: 15_000
    })

    const described = await stack.cli(["describe", "gitsource", "specs"])
    assert.strictEqual(described.code, 0, described.stderr)
    assert.match(described.stdout, /bump web/)
    assert.match(described.stdout, /Inventory:\s+1 spec\(s\)/)

    // The leader dies; the survivor takes over and answers the next webhook.
    const leaderLog = await waitUntil(
      "a leader",
      () => [first, second].find((controller) => controller.logs().includes("controller leading"))
    )
    const survivor = leaderLog === first ? second : first
    const survivorPort = leaderLog === first ? ports[1]! : ports[0]!
    await leaderLog.kill("SIGKILL")
    git.commit({ "web.yaml": instanceYaml("web.main", "registry.example/web:3") }, "bump web again")
    await hook(survivorPort)
    await waitUntil(
      "web:3 in etcd from the new leader",
      async () => (await stack.spec("web.main"))?.spec?.image === "registry.example/web:3",
      { timeoutMs: 15_000 }
    )
    assert.include(survivor.logs(), "controller leading")
  })
})
