// GitOps against real git repositories (bare, over file://) and a real etcd: the leader's loop runs
// in-process; the webhook server listens on loopback; `mdeploy` runs as a child for apply and sync.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { createHmac, randomUUID } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import type { GitSource, GitSourceSpec, GitSourceStatus } from "../../src/domain/GitSource.ts"
import { sourceAnnotation } from "../../src/domain/GitSource.ts"
import type { InstanceName } from "../../src/domain/InstanceName.ts"
import { runGitOps } from "../../src/gitops/GitOpsLoop.ts"
import { makeSyncContext, syncSource } from "../../src/gitops/GitSync.ts"
import { GitSourceStore } from "../../src/store/GitSourceStore.ts"
import type { StoredInstance } from "../../src/store/SpecStore.ts"
import { SpecStore } from "../../src/store/SpecStore.ts"
import { EventRecorder } from "../../src/events/EventRecorder.ts"
import { RolloutStore } from "../../src/rollouts/RolloutStore.ts"
import type { EtcdClient } from "../../src/store/EtcdClient.ts"
import { StatusStore } from "../../src/store/StatusStore.ts"
import { serveController } from "../../src/ui/ControllerServer.ts"
import { runCli } from "../harness/cli.ts"
import { startGitHttp } from "../harness/gitHttp.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { etcdLayer, rawCount, rawDeletePrefix, rawGet, rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"
import type { TestRepo } from "../harness/gitRepo.ts"
import { instanceYaml, makeTestRepo } from "../harness/gitRepo.ts"
import { waitUntil } from "../harness/wait.ts"
import { etcdSpecStoreLayer } from "../../src/store/EtcdSpecStore.ts"

const soaFixtures = join(import.meta.dirname, "..", "fixtures", "soa-configs", "tree")

let etcd: EtcdCluster
const cleanups: Array<() => void | Promise<void>> = []
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await etcd?.close()
})

const secret = "hook-secret"
const token = "t0ken-never-stored"
const env = { HOOK_SECRET: secret, GIT_USER: "bot", GIT_TOKEN: token }

const sources = <A, E, R>(f: (store: GitSourceStore["Service"]) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    return yield* f(yield* GitSourceStore)
  })
const specStore = <A, E, R>(f: (store: SpecStore["Service"]) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    return yield* f(yield* SpecStore)
  })

/** One installation: its prefix, the leader's GitOps loop running in-process, and store access. */
const installation = async (label: string) => {
  const prefix = uniquePrefix(label)
  const layer = Layer.mergeAll(
    etcdSpecStoreLayer,
    GitSourceStore.layerNoDeps,
    StatusStore.layerNoDeps,
    EventRecorder.layerMemory,
    RolloutStore.layerMemory
  ).pipe(Layer.provideMerge(etcdLayer(etcd, prefix)))
  const cacheRoot = mkdtempSync(join(tmpdir(), "mdeploy-cache-"))
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const run = <A, E>(
    effect: Effect.Effect<A, E, SpecStore | GitSourceStore | StatusStore | EventRecorder | RolloutStore | EtcdClient | Scope.Scope>
  ) => Effect.runPromise(effect.pipe(Effect.provideContext(context), Effect.provideService(Scope.Scope, scope)) as Effect.Effect<A, E>)
  const loop = Effect.runFork(
    runGitOps(makeSyncContext({ cacheRoot, env })).pipe(Effect.scoped, Effect.provideContext(context)) as Effect.Effect<never>
  )
  const close = async () => {
    await Effect.runPromise(Fiber.interrupt(loop))
    await Effect.runPromise(Scope.close(scope, Exit.void))
    rmSync(cacheRoot, { recursive: true, force: true })
  }
  cleanups.push(close)

  const addSource = (name: string, spec: GitSourceSpec) =>
    run(sources((store) => store.apply({ apiVersion: "mdeploy.dev/v1", kind: "GitSource", metadata: { name }, spec } satisfies GitSource)))
  const status = (name: string) => run(sources((store) => store.status(name))).then(Option.getOrUndefined)
  /** Requests a sync and waits until the leader answered exactly that request. */
  const syncNow = async (name: string, approveMassPruneOf?: string): Promise<GitSourceStatus> => {
    const id = randomUUID()
    await run(
      sources((store) =>
        store.request(name, {
          id,
          requestedAt: new Date().toISOString(),
          by: "test",
          ...(approveMassPruneOf === undefined ? {} : { approveMassPruneOf })
        })
      )
    )
    return waitUntil(`sync ${id} of ${name}`, async () => {
      const current = await status(name)
      return current?.handledRequest === id ? current : undefined
    }, { timeoutMs: 10_000 })
  }
  const specs = async (): Promise<Map<string, StoredInstance>> =>
    new Map((await run(specStore((store) => store.list()))).items.map((item) => [item.metadata.name as string, item]))
  const put = (document: Parameters<SpecStore["Service"]["apply"]>[0]) => run(specStore((store) => store.apply(document)))
  return { prefix, run, addSource, status, syncNow, specs, put }
}

const repo = (): TestRepo => {
  const made = makeTestRepo()
  cleanups.push(made.close)
  return made
}

const ready = (status: GitSourceStatus | undefined) => status?.conditions.find((condition) => condition.type === "Ready")

describe("GitOps sync against real git and etcd", () => {
  it("creates, changes (one key), renames (nothing) and deletes spec files; a broken document writes nothing", async () => {
    const git = repo()
    const first = git.commit(
      { "specs/a.yaml": instanceYaml("a.main"), "specs/b.yaml": instanceYaml("b.main"), "README.md": "# not a manifest" },
      "two services",
      { author: "Bob <bob@example.org>" }
    )
    const site = await installation("basic")
    await site.addSource("prod", {
      url: git.url,
      ref: { branch: "main" },
      path: "specs",
      interval: "1h",
      webhook: { secretEnv: "HOOK_SECRET" }
    })
    const synced = await waitUntil(
      "first sync",
      async () => (await site.status("prod"))?.lastAppliedRevision === first ? site.status("prod") : undefined
    )
    assert.strictEqual(ready(synced)?.status, "True")
    assert.strictEqual(synced?.history[0]?.subject, "two services")
    assert.strictEqual(synced?.history[0]?.author, "Bob <bob@example.org>")
    const before = await site.specs()
    assert.deepStrictEqual([...before.keys()].sort(), ["a.main", "b.main"])
    assert.strictEqual(before.get("a.main")?.metadata.annotations?.[sourceAnnotation], "prod")

    // One file changed: exactly one spec written, the other keeps its revision.
    git.commit({ "specs/b.yaml": instanceYaml("b.main", "registry.example/web:2") }, "bump b")
    const changed = await site.syncNow("prod")
    assert.strictEqual(changed.history[0]?.written, 1)
    const after = await site.specs()
    assert.strictEqual(after.get("a.main")?.metadata.resourceVersion, before.get("a.main")?.metadata.resourceVersion)
    assert.strictEqual(after.get("b.main")?.metadata.generation, 2)

    // A rename with the same content writes nothing.
    git.commit({ "specs/a.yaml": null, "specs/nested/a-renamed.yaml": instanceYaml("a.main") }, "rename a")
    const renamed = await site.syncNow("prod")
    assert.strictEqual(renamed.history[0]?.written, 0)
    assert.strictEqual((await site.specs()).get("a.main")?.metadata.resourceVersion, before.get("a.main")?.metadata.resourceVersion)

    // A broken document: nothing of the revision is written, status names file, line and field.
    const broken = git.commit({
      "specs/b.yaml": instanceYaml("b.main", "registry.example/web:3"),
      "specs/c.yaml": instanceYaml("c.main", "x", "  cpus: -1\n")
    }, "broken")
    const invalid = await site.syncNow("prod")
    assert.strictEqual(ready(invalid)?.reason, "ValidationFailed")
    assert.strictEqual(invalid.lastAttemptedRevision, broken)
    assert.deepInclude(invalid.firstInvalid, { file: "specs/c.yaml", line: 8, col: 3, path: "spec.cpus" })
    const kept = await site.specs()
    assert.isFalse(kept.has("c.main"))
    assert.strictEqual(kept.get("b.main")?.spec.image, "registry.example/web:2")

    // Fixed by deleting b and c: one of two pruned (half is allowed).
    git.commit({ "specs/b.yaml": null, "specs/c.yaml": null }, "drop b")
    const pruned = await site.syncNow("prod")
    assert.strictEqual(ready(pruned)?.status, "True")
    assert.deepStrictEqual([...(await site.specs()).keys()], ["a.main"])
    assert.deepStrictEqual(pruned.inventory, ["a.main"])
  })

  it("follows a force-push and reverts a hand edit of its spec on the next sync", async () => {
    const git = repo()
    git.commit({ "a.yaml": instanceYaml("a.main"), "b.yaml": instanceYaml("b.main") }, "one")
    // A symlink in the repository is never followed (it would read a file of the controller's host).
    symlinkSync("/etc/hostname", join(git.dir, "evil.yaml"))
    git.commit({}, "a symlink")
    const site = await installation("force")
    await site.addSource("prod", { url: git.url, interval: "1h" })
    assert.strictEqual(ready(await site.syncNow("prod"))?.status, "True")
    const rewritten = git.rewrite(
      { "a.yaml": instanceYaml("a.main", "registry.example/web:rewritten"), "b.yaml": instanceYaml("b.main") },
      "rewritten history"
    )
    const status = await site.syncNow("prod")
    assert.strictEqual(status.lastAppliedRevision, rewritten)
    const specs = await site.specs()
    assert.strictEqual(specs.get("a.main")?.spec.image, "registry.example/web:rewritten")

    // A hand edit that keeps the owner annotation is the source's spec: put back.
    const edited = specs.get("b.main")!
    await site.put({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: edited.metadata.name, annotations: edited.metadata.annotations ?? {} },
      spec: { ...edited.spec, image: "hand:edit" }
    })
    await site.syncNow("prod")
    assert.strictEqual((await site.specs()).get("b.main")?.spec.image, "registry.example/web:1")
  })

  it("an unreachable remote leaves specs untouched, Ready False, and backs off", async () => {
    const git = repo()
    git.commit({ "a.yaml": instanceYaml("a.main") }, "one")
    const site = await installation("unreachable")
    await site.addSource("prod", { url: git.url, interval: "1h" })
    await site.syncNow("prod")
    const before = (await site.specs()).get("a.main")?.metadata.resourceVersion
    await site.addSource("prod", { url: "file:///nonexistent/repo.git", interval: "1h", timeout: "5s" })
    // The spec change triggers a sync; failures then retry on their own (750 ms, 1.5 s, ...).
    const failing = await waitUntil("two failed syncs", async () => {
      const status = await site.status("prod")
      return (status?.failures ?? 0) >= 2 ? status : undefined
    }, { timeoutMs: 10_000 })
    assert.strictEqual(ready(failing)?.status, "False")
    assert.strictEqual(ready(failing)?.reason, "FetchFailed")
    assert.isTrue(Date.parse(failing.nextSyncAt!) - Date.now() <= 3_000 + 500)
    assert.strictEqual((await site.specs()).get("a.main")?.metadata.resourceVersion, before)
  })

  it("refuses the empty tree and a 60 % prune until that one revision is approved", async () => {
    const git = repo()
    const files = Object.fromEntries(["a", "b", "c", "d", "e"].map((name) => [`${name}.yaml`, instanceYaml(`${name}.main`)]))
    git.commit(files, "five")
    const site = await installation("prune")
    await site.addSource("prod", { url: git.url, interval: "1h" })
    await site.syncNow("prod")
    const sixty = git.commit({ "a.yaml": null, "b.yaml": null, "c.yaml": null }, "drop three")
    const refused = await site.syncNow("prod")
    assert.strictEqual(ready(refused)?.reason, "PruneRefused")
    assert.strictEqual(refused.pruneRefusedRevision, sixty)
    assert.strictEqual((await site.specs()).size, 5)
    const approved = await site.syncNow("prod", sixty)
    assert.strictEqual(ready(approved)?.status, "True")
    assert.deepStrictEqual([...(await site.specs()).keys()].sort(), ["d.main", "e.main"])

    // The approval was for that revision only: an empty tree is refused again.
    const empty = git.commit({ "d.yaml": null, "e.yaml": null }, "empty")
    const again = await site.syncNow("prod", sixty)
    assert.strictEqual(ready(again)?.reason, "PruneRefused")
    assert.strictEqual(again.pruneRefusedRevision, empty)
    assert.strictEqual((await site.specs()).size, 2)
  })

  it("two sources claiming one name: the first keeps it, the second reports the conflict; apply of it exits 3", async () => {
    const one = repo()
    const two = repo()
    one.commit({ "x.yaml": instanceYaml("shared.main", "registry.example/one:1") }, "one")
    two.commit({ "x.yaml": instanceYaml("shared.main", "registry.example/two:1"), "y.yaml": instanceYaml("own.main") }, "two")
    const site = await installation("claims")
    await site.addSource("first", { url: one.url, interval: "1h" })
    await site.syncNow("first")
    await site.addSource("second", { url: two.url, interval: "1h" })
    const second = await site.syncNow("second")
    assert.strictEqual(ready(second)?.reason, "Conflict")
    assert.match(second.conflicts?.[0] ?? "", /shared\.main: owned by gitsource first/)
    const specs = await site.specs()
    assert.strictEqual(specs.get("shared.main")?.spec.image, "registry.example/one:1")
    assert.isTrue(specs.has("own.main"))

    const args = ["--etcd", etcd.endpoints, "--etcd-prefix", site.prefix]
    // Claiming the spec for the other source in the manifest changes nothing: only a source sets it.
    const manifest = instanceYaml("shared.main", "registry.example/hand:1").replace(
      "  name: shared.main\n",
      `  name: shared.main\n  annotations: {${sourceAnnotation}: second}\n`
    )
    const refused = await runCli([...args, "apply", "-f", "-"], { stdin: manifest, timeoutMs: 20_000 })
    assert.strictEqual(refused.code, 3, refused.stderr)
    assert.match(refused.stderr, /owned by gitsource first/)
    const forced = await runCli([...args, "apply", "-f", "-", "--force-conflicts"], { stdin: manifest, timeoutMs: 20_000 })
    assert.strictEqual(forced.code, 0, forced.stderr)
    // Forced, but still the source's: its next sync puts its version back.
    assert.strictEqual((await site.specs()).get("shared.main")?.metadata.annotations?.[sourceAnnotation], "first")
    const synced = await runCli([...args, "sync", "first", "--wait", "--timeout", "10s"], { timeoutMs: 20_000 })
    assert.strictEqual(synced.code, 0, synced.stderr)
    assert.strictEqual((await site.specs()).get("shared.main")?.spec.image, "registry.example/one:1")

    // Deleting a source stops its syncing; the specs it wrote stay.
    const deleted = await runCli([...args, "delete", "gitsource", "first"], { timeoutMs: 20_000 })
    assert.strictEqual(deleted.code, 0, deleted.stderr)
    assert.isUndefined(await rawGet(etcd, `${site.prefix}/gitsources/first`))
    assert.isUndefined(await rawGet(etcd, `${site.prefix}/gitsource-status/first`))
    assert.isTrue((await site.specs()).has("shared.main"))
  })

  it("webhooks: a good signature syncs; a bad signature, an unknown source and an oversized body write nothing", async () => {
    const git = repo()
    git.commit({ "a.yaml": instanceYaml("a.main") }, "one")
    const site = await installation("hooks")
    await site.addSource("prod", { url: git.url, interval: "1h", webhook: { secretEnv: "HOOK_SECRET" } })
    await waitUntil("first sync", () => site.status("prod"))
    const addr = await site.run(serveController("127.0.0.1:0", env))
    const post = (name: string, body: Buffer, headers: Record<string, string>) =>
      fetch(`http://${addr}/hooks/git/${name}`, { method: "POST", body, headers })
    const requestKey = `${site.prefix}/gitsource-requests/prod`
    const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main" }))

    const signed = (payload: Buffer) => ({ "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(payload).digest("hex")}` })
    const bad = await post("prod", body, { "x-hub-signature-256": `sha256=${createHmac("sha256", "wrong").update(body).digest("hex")}` })
    assert.strictEqual(bad.status, 401)
    assert.isUndefined(await rawGet(etcd, requestKey))
    assert.strictEqual((await post("nosuch", body, { "x-gitlab-token": secret })).status, 404)
    const huge = Buffer.alloc(1024 * 1024 + 1, 32)
    const oversized = await post("prod", huge, {
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(huge).digest("hex")}`
    })
    assert.strictEqual(oversized.status, 413)
    // Streamed without a length: cut off when it passes the limit.
    const chunk = Buffer.alloc(64 * 1024, 32)
    const streamed = await fetch(`http://${addr}/hooks/git/prod`, {
      method: "POST",
      headers: signed(huge),
      duplex: "half",
      body: new ReadableStream({
        pull: (controller) => controller.enqueue(chunk)
      })
    } as RequestInit).then((response) => response.status, (error) => `failed: ${String(error)}`)
    assert.strictEqual(streamed, 413)
    assert.isUndefined(await rawGet(etcd, requestKey))

    const head = git.commit({ "a.yaml": instanceYaml("a.main", "registry.example/web:hook") }, "via webhook")
    const good = await post("prod", body, { "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` })
    assert.strictEqual(good.status, 202)
    await waitUntil(
      "the webhook's commit in etcd",
      async () => (await site.specs()).get("a.main" as InstanceName)?.spec.image === "registry.example/web:hook",
      { timeoutMs: 5_000 }
    )
    await waitUntil("the webhook's commit recorded", async () => (await site.status("prod"))?.lastAppliedRevision === head, {
      timeoutMs: 5_000
    })
  })

  it("syncs over smart HTTP with basic auth from the controller's environment; the credential reaches neither etcd nor status", async () => {
    const git = repo()
    const head = git.commit({ "a.yaml": instanceYaml("a.main") }, "over http")
    const http = await startGitHttp(dirname(git.url.slice("file://".length)), "bot", token)
    cleanups.push(http.close)
    const url = http.url("remote.git")
    const site = await installation("http")
    await site.addSource("authed", { url, interval: "1h", auth: { usernameEnv: "GIT_USER", passwordEnv: "GIT_TOKEN" } })
    await site.addSource("anonymous", { url, interval: "1h" })
    const authed = await waitUntil(
      "sync over http",
      async () => (await site.status("authed"))?.lastAppliedRevision === head ? site.status("authed") : undefined
    )
    assert.strictEqual(ready(authed)?.status, "True")
    assert.isTrue((await site.specs()).has("a.main"))
    const anonymous = await waitUntil("anonymous refused", () => site.status("anonymous"))
    assert.strictEqual(ready(anonymous)?.reason, "FetchFailed")
    assert.isAbove(http.unauthorized(), 0)
    const stored = JSON.stringify([
      await rawGet(etcd, `${site.prefix}/gitsources/authed`),
      await rawGet(etcd, `${site.prefix}/gitsource-status/authed`),
      anonymous
    ])
    assert.notInclude(stored, token)
    assert.notInclude(stored, Buffer.from(`bot:${token}`).toString("base64"))
    assert.isAbove(await rawCount(etcd, `${site.prefix}/gitsource`), 0)
  })

  it("a sync's listing decodes only the specs whose revision moved (SpecStore.list reuse)", async () => {
    const site = await installation("reuse")
    await site.put({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: "a.main" as InstanceName },
      spec: { image: "a:1" }
    })
    await site.put({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: "b.main" as InstanceName },
      spec: { image: "b:1" }
    })
    const first = await site.run(specStore((store) => store.list()))
    const reuse = new Map(first.items.map((item) => [item.metadata.name as string, item]))
    await site.put({
      apiVersion: "mdeploy.dev/v1",
      kind: "ServiceInstance",
      metadata: { name: "b.main" as InstanceName },
      spec: { image: "b:2" }
    })
    const second = await site.run(specStore((store) => store.list({ reuse })))
    const byName = new Map(second.items.map((item) => [item.metadata.name as string, item]))
    assert.strictEqual(byName.get("a.main"), reuse.get("a.main"), "unchanged: the same object")
    assert.notStrictEqual(byName.get("b.main"), reuse.get("b.main"))
    assert.strictEqual(byName.get("b.main")?.spec.image, "b:2")
  })

  it("a leader deposed between its listing and its writes writes nothing: spec writes and prunes hold the leader key", async () => {
    const git = repo()
    git.commit({ "a.yaml": instanceYaml("a.main"), "b.yaml": instanceYaml("b.main") }, "two")
    const site = await installation("fenced")
    // Suspended, so the in-process loop leaves it alone and the test runs each sync itself.
    await site.addSource("fenced", { url: git.url, ref: { branch: "main" }, interval: "1h", suspend: true })
    const source = Option.getOrThrow(await site.run(sources((store) => store.get("fenced"))))
    const context = makeSyncContext({ cacheRoot: mkdtempSync(join(tmpdir(), "mdeploy-cache-")), env })
    const leaderKey = `${site.prefix}/leader`
    const elect = async () => {
      const answer = await rawPut(etcd, leaderKey, JSON.stringify({ identity: "test" })) as { header: { revision: string } }
      return { key: leaderKey, createRevision: answer.header.revision }
    }
    const sync = (fence: { key: string; createRevision: string }) => site.run(syncSource(context, source, undefined, undefined, [fence]))

    const first = await elect()
    const synced = await sync(first)
    assert.strictEqual(ready(synced)?.status, "True", synced.conditions[0]?.message)
    const before = await site.specs()
    assert.deepStrictEqual([...before.keys()].sort(), ["a.main", "b.main"])

    // b changes and a goes; meanwhile the leader key is deleted and taken by someone else.
    git.commit({ "a.yaml": null, "b.yaml": instanceYaml("b.main", "registry.example/web:2") }, "bump b, drop a")
    await rawDeletePrefix(etcd, leaderKey)
    const successor = await elect()
    const refused = await sync(first)
    assert.strictEqual(refused.history[0]?.result, "WriteFailed")
    assert.match(refused.conditions[0]?.message ?? "", /no longer held by this writer/)
    const after = await site.specs()
    assert.deepStrictEqual([...after.keys()].sort(), ["a.main", "b.main"], "nothing pruned")
    assert.strictEqual(after.get("b.main")?.metadata.resourceVersion, before.get("b.main")?.metadata.resourceVersion, "nothing written")

    // The successor's sync (its own fence) does what the revision says.
    const applied = await sync(successor)
    assert.strictEqual(ready(applied)?.status, "True", applied.conditions[0]?.message)
    const now = await site.specs()
    assert.deepStrictEqual([...now.keys()], ["b.main"])
    assert.strictEqual(now.get("b.main")?.spec.image, "registry.example/web:2")
    rmSync(context.cacheRoot, { recursive: true, force: true })
  })

  it("format paasta: a soa-configs tree becomes specs; a skipped instance keeps its spec; a denied field writes nothing", async () => {
    const fixture = (service: string, file: string) => readFileSync(join(soaFixtures, service, file), "utf8")
    const web = (file: string) => [`soa/web/${file}`, fixture("web", file)] as const
    const git = repo()
    const first = git.commit(
      Object.fromEntries([
        web("service.yaml"),
        web("marathon-norcal-devc.yaml"),
        web("smartstack.yaml"),
        web("deployments.json"),
        // Not the converter's: never read, however broken.
        ["soa/web/kubernetes-norcal-devc.yaml", "not: [yaml"],
        ["soa/README.md", "# soa-configs"]
      ]),
      "soa-configs"
    )
    const site = await installation("paasta")
    await site.addSource("soa", { url: git.url, path: "soa", format: "paasta", paasta: { cluster: "norcal-devc" }, interval: "1h" })
    const synced = await waitUntil("first sync", async () => {
      const current = await site.status("soa")
      return current?.lastAppliedRevision === first ? current : undefined
    })
    assert.strictEqual(ready(synced)?.status, "True", synced.conditions[0]?.message)
    assert.match(
      ready(synced)?.message ?? "",
      /not converted \(soa\/web\/marathon-norcal-devc\.yaml:17: bounce_health_params\.check_haproxy: not mapped/
    )
    const specs = await site.specs()
    assert.deepStrictEqual([...specs.keys()].sort(), ["web.batch_worker", "web.canary", "web.main"], "unreleased has no image: skipped")
    assert.strictEqual(specs.get("web.main")?.spec.image, "services-web:paasta-9f2c1e7a3b4c5d6e7f8091a2b3c4d5e6f7081920")
    assert.strictEqual(specs.get("web.main")?.metadata.annotations?.[sourceAnnotation], "soa")

    // batch_worker's image leaves deployments.json: PaaSTA would not deploy it, nor stop it; its spec stays.
    const deployments = JSON.parse(fixture("web", "deployments.json")) as { v2: { deployments: Record<string, unknown> } }
    delete deployments.v2.deployments["norcal-devc.batch_worker"]
    git.commit({ "soa/web/deployments.json": JSON.stringify(deployments) }, "batch_worker image gone")
    const kept = await site.syncNow("soa")
    assert.strictEqual(ready(kept)?.status, "True", kept.conditions[0]?.message)
    assert.strictEqual(kept.history[0]?.pruned, 0)
    const after = await site.specs()
    assert.strictEqual(after.get("web.batch_worker")?.metadata.resourceVersion, specs.get("web.batch_worker")?.metadata.resourceVersion)
    assert.includeMembers([...(kept.inventory ?? [])], ["web.batch_worker", "web.main", "web.canary"])

    // A service with denied Marathon fields: the revision is invalid, nothing of it written.
    const denied = git.commit({
      "soa/files/marathon-norcal-devc.yaml": fixture("files", "marathon-norcal-devc.yaml"),
      "soa/files/deployments.json": fixture("files", "deployments.json")
    }, "files service")
    const invalid = await site.syncNow("soa")
    assert.strictEqual(ready(invalid)?.reason, "ValidationFailed")
    assert.strictEqual(invalid.lastAttemptedRevision, denied)
    assert.deepInclude(invalid.firstInvalid, { file: "soa/files/marathon-norcal-devc.yaml", line: 3 })
    assert.isFalse([...(await site.specs()).keys()].some((name) => name.startsWith("files.")))
  })
})
