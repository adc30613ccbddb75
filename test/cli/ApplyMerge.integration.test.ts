import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { parse } from "yaml"
import { runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { rawPut, startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

// apply keeps what `rollout pause|restart` set unless the manifest owns the field
// (domain/LastApplied.ts), and diff shows exactly what apply would write.

let etcd: EtcdCluster
beforeAll(async () => {
  etcd = await startLocalEtcd()
})
afterAll(async () => {
  await etcd?.close()
})

const manifest = (image: string, extra = "") =>
  `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: worker.batch\nspec:\n  image: ${image}\n  instances: 2\n${extra}`

const setup = (label: string) => {
  const prefix = uniquePrefix(label)
  const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: prefix }
  const cli = (args: ReadonlyArray<string>, stdin?: string) => runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) })
  const apply = async (text: string) => {
    const result = await cli(["apply", "-f", "-"], text)
    assert.strictEqual(result.code, 0, result.stderr)
    return result.stdout.trim()
  }
  const stored = async () => {
    const result = await cli(["get", "worker.batch", "-o", "yaml"])
    assert.strictEqual(result.code, 0, result.stderr)
    return parse(result.stdout)
  }
  return { prefix, cli, apply, stored }
}

describe("apply keeps what the rollout verbs set (real processes, real etcd)", () => {
  it("pause, then apply of a new image: still paused, and only the manifest's edit changed", async () => {
    const { cli, apply, stored } = setup("pause-apply")
    await apply(manifest("worker:1"))
    assert.strictEqual((await cli(["rollout", "pause", "worker.batch"])).code, 0)
    const paused = await stored()
    assert.strictEqual(await apply(manifest("worker:2")), "serviceinstance/worker.batch configured")
    const after = await stored()
    assert.deepStrictEqual(after.spec, { ...paused.spec, image: "worker:2" })
    assert.strictEqual(after.spec.paused, true)
    assert.strictEqual(after.metadata.generation, paused.metadata.generation + 1)
    // And re-applying the same manifest changes nothing.
    assert.strictEqual(await apply(manifest("worker:2")), "serviceinstance/worker.batch unchanged")
  })

  it("restart, then apply of the unchanged file: forceBounce and generation stay (no second bounce)", async () => {
    const { cli, apply, stored } = setup("restart-apply")
    await apply(manifest("worker:1"))
    assert.strictEqual((await cli(["rollout", "restart", "worker.batch"])).code, 0)
    const restarted = await stored()
    assert.isString(restarted.spec.forceBounce)
    assert.strictEqual(await apply(manifest("worker:1")), "serviceinstance/worker.batch unchanged")
    const after = await stored()
    assert.strictEqual(after.spec.forceBounce, restarted.spec.forceBounce)
    assert.strictEqual(after.metadata.generation, restarted.metadata.generation)
    assert.strictEqual(after.metadata.resourceVersion, restarted.metadata.resourceVersion)
  })

  it("scale, then apply of a manifest without instances: the count stays, and no revision is recorded for it", async () => {
    const { cli, apply, stored } = setup("scale-apply")
    const bare = (image: string) =>
      `apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: worker.batch\nspec:\n  image: ${image}\n`
    await apply(bare("worker:1"))
    const scaled = await cli(["scale", "worker.batch", "--replicas", "5"])
    assert.strictEqual(scaled.stdout.trim(), "serviceinstance/worker.batch scaled (instances: 5)", scaled.stderr)
    assert.strictEqual(await apply(bare("worker:2")), "serviceinstance/worker.batch configured")
    assert.deepStrictEqual((await stored()).spec, { image: "worker:2", instances: 5 })
    const history = JSON.parse((await cli(["rollout", "history", "worker.batch", "-o", "json"])).stdout)
    assert.deepStrictEqual(history.map((entry: any) => [entry.revision, entry.image]), [[1, "worker:1"], [3, "worker:2"]])
    // A manifest that sets instances owns them again.
    await apply(manifest("worker:2"))
    assert.strictEqual((await stored()).spec.instances, 2)
    assert.strictEqual((await cli(["scale", "worker.batch", "--replicas", "-1"])).code, 2)
  })

  it("a field the manifest set and then dropped is removed, imperative or not", async () => {
    const { apply, stored } = setup("dropped")
    await apply(manifest("worker:1", "  paused: true\n  env:\n    MODE: fast\n"))
    assert.strictEqual((await stored()).spec.paused, true)
    assert.strictEqual(await apply(manifest("worker:1")), "serviceinstance/worker.batch configured")
    const after = await stored()
    assert.deepStrictEqual(after.spec, { image: "worker:1", instances: 2 })
  })

  it("the first apply over a spec without the annotation keeps its paused flag and records the annotation", async () => {
    const { prefix, apply, stored } = setup("no-annotation")
    // As an older mdeploy wrote it: paused, no last-applied annotation.
    await rawPut(
      etcd,
      `${prefix}/specs/worker.batch`,
      JSON.stringify({
        apiVersion: "mdeploy.dev/v1",
        kind: "ServiceInstance",
        metadata: { name: "worker.batch", uid: "u-1", generation: 4, creationTimestamp: "2026-01-01T00:00:00Z" },
        spec: { image: "worker:1", instances: 2, paused: true }
      })
    )
    assert.strictEqual(await apply(manifest("worker:1")), "serviceinstance/worker.batch configured")
    const after = await stored()
    assert.deepStrictEqual(after.spec, { image: "worker:1", instances: 2, paused: true })
    assert.strictEqual(after.metadata.generation, 4, "only the annotation was written")
    assert.deepStrictEqual(JSON.parse(after.metadata.annotations["mdeploy.dev/last-applied"]), { image: "worker:1", instances: 2 })
    assert.strictEqual(await apply(manifest("worker:1")), "serviceinstance/worker.batch unchanged")
  })

  it("diff shows what apply would write: nothing after a pause, the removal once the manifest drops a field it set", async () => {
    const { cli, apply } = setup("diff")
    await apply(manifest("worker:1", "  env:\n    MODE: fast\n"))
    assert.strictEqual((await cli(["rollout", "pause", "worker.batch"])).code, 0)
    const same = await cli(["diff", "--no-plan", "-f", "-"], manifest("worker:1", "  env:\n    MODE: fast\n"))
    assert.strictEqual(same.code, 0, same.stdout + same.stderr)
    assert.strictEqual(same.stdout, "")
    const dropped = await cli(["diff", "--no-plan", "-f", "-"], manifest("worker:1"))
    assert.strictEqual(dropped.code, 1, dropped.stderr)
    assert.include(dropped.stdout, "-  env:\n-    MODE: fast\n")
    // paused stays: at most a context line, never a removed or added one.
    assert.deepStrictEqual(dropped.stdout.split("\n").filter((line) => /^[-+]\s+paused/.test(line)), [])
    assert.include(dropped.stdout, "   paused: true")
  })
})
