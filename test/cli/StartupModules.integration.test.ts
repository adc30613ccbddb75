// A command loads only what it needs (bench/startup.ts measures why it matters): `mdeploy get`
// runs without the controller, GitOps, the Marathon client or emulator, the OpenTelemetry SDK or
// the YAML library, and `mdeploy --version` without Effect. Checked on the bundle in dist/ (what
// bin/mdeploy.js runs after a build; each chunk's source map names the files it holds) and on the
// sources (MDEPLOY_FROM_SOURCE=1), by a module hook that lists every module the process loads.
import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { repoRoot, runCli } from "../harness/cli.ts"
import type { EtcdCluster } from "../harness/etcd.ts"
import { startLocalEtcd, uniquePrefix } from "../harness/etcd.ts"

const hookSource = `import { registerHooks } from "node:module"
import { writeFileSync } from "node:fs"
const urls = []
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context) } })
process.on("exit", () => writeFileSync(process.env.MDEPLOY_TEST_MODULES, urls.join("\\n")))
`

let etcd: EtcdCluster
let dir: string
let env: Record<string, string>
beforeAll(async () => {
  etcd = await startLocalEtcd()
  dir = mkdtempSync(join(tmpdir(), "mdeploy-startup-"))
  writeFileSync(join(dir, "hook.mjs"), hookSource)
  writeFileSync(
    join(dir, "web.yaml"),
    "apiVersion: mdeploy.dev/v1\nkind: ServiceInstance\nmetadata:\n  name: web.main\nspec:\n  image: nginx:1\n  instances: 2\n"
  )
  env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: uniquePrefix("startup") }
  const applied = await runCli(["apply", "-f", join(dir, "web.yaml")], { env })
  assert.strictEqual(applied.code, 0, applied.stderr)
})
afterAll(async () => {
  await etcd?.close()
})

/** Repository-relative paths of the files a run loaded; a bundle chunk stands for the sources in its map. */
const loadedFiles = async (args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}, code = 0) => {
  const list = join(dir, `modules-${`${args.join("-")}-${Object.keys(extraEnv).join("-")}`.replace(/[^\w.-]+/g, "_")}.txt`)
  const result = await runCli(args, {
    env: {
      ...env,
      ...extraEnv,
      MDEPLOY_TEST_MODULES: list,
      NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --import=${pathToFileURL(join(dir, "hook.mjs")).href}`
    }
  })
  assert.strictEqual(result.code, code, result.stderr)
  const files = readFileSync(list, "utf8").split("\n").filter((url) => url.startsWith("file:")).map((url) => fileURLToPath(url))
  const bundled = files.some((file) => file.startsWith(join(repoRoot, "dist") + "/"))
  const expanded = files.flatMap((file) => {
    if (!file.startsWith(join(repoRoot, "dist") + "/")) return [file]
    // The bundler's own runtime chunk has no map, and no source.
    if (!existsSync(`${file}.map`)) return []
    const map = JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: ReadonlyArray<string> }
    return map.sources.map((source) => resolve(dirname(file), source))
  })
  return { bundled, files: expanded.map((file) => relative(repoRoot, file)), stdout: result.stdout }
}

// What `get` has no use for; each is a large part of some other command's start-up. It reads
// etcd through the JSON gateway: the etcd3 client, gRPC and protobuf.js are for writes and watches.
const notForGet = [
  /node_modules\/(etcd3|@grpc\/[^/]+|protobufjs|@protobufjs\/[^/]+|cockatiel)\//,
  /^src\/store\/Etcd3Errors\.ts$/,
  /^src\/(controller|gitops|sim|marathon|bounce|drain|cleanup|plan|events|paasta|ui)\//,
  /^src\/telemetry\/Telemetry\.ts$/,
  /^src\/cli\/commands\/(?!get\/)/,
  // A plain `get` is answered without the command-line module (src/cli/QuickGet.ts).
  /node_modules\/effect\/dist\/cli\//,
  /^src\/cli\/(Cli|Root|GlobalFlags|RunCommand)\.ts$/,
  /^src\/cli\/render\/Documents\.ts$/,
  /node_modules\/@opentelemetry\/(sdk|exporter)/,
  /node_modules\/(yaml|undici)\//
]

const offending = (files: ReadonlyArray<string>, rules: ReadonlyArray<RegExp>) =>
  files.filter((file) => rules.some((rule) => rule.test(file)))

describe("start-up: a command loads what it needs", () => {
  it("mdeploy get, from the bundle", async () => {
    const run = await loadedFiles(["get"])
    assert.isTrue(run.bundled, "bin/mdeploy.js ran the sources: the test set-up builds dist/ first")
    assert.include(run.stdout, "web.main")
    assert.include(run.files, "src/cli/QuickGet.ts")
    assert.include(run.files, "src/cli/commands/get/InstanceListing.ts")
    assert.deepStrictEqual(offending(run.files, notForGet), [])
  })

  it("mdeploy get through the full parser loads it (the check above can fail)", async () => {
    const run = await loadedFiles(["get"], { MDEPLOY_QUICK_GET: "0" })
    assert.include(run.stdout, "web.main")
    assert.include(run.files, "src/cli/commands/Get.ts")
    assert.isTrue(run.files.some((file) => file.startsWith("node_modules/effect/dist/cli/")), "the CLI module")
  })

  it("mdeploy get, from the sources", async () => {
    const run = await loadedFiles(["get"], { MDEPLOY_FROM_SOURCE: "1" })
    assert.isFalse(run.bundled)
    assert.include(run.stdout, "web.main")
    assert.deepStrictEqual(offending(run.files, notForGet), [])
  })

  // The other read-only commands read through the gateway too; waiting (`rollout status` without
  // --watch=false, `get -w`) and every write use etcd3.
  const etcdClient = [/node_modules\/(etcd3|@grpc\/[^/]+|protobufjs|@protobufjs\/[^/]+)\//, /^src\/store\/Etcd3Errors\.ts$/]
  it.each(
    [
      [["describe", "web.main"], 0],
      [["rollout", "history", "web.main"], 0],
      // Exit 1: not rolled out (no controller runs here).
      [["rollout", "status", "web.main", "--watch=false"], 1]
    ] as const
  )("mdeploy %j loads no etcd client", async (args, code) => {
    const run = await loadedFiles(args, { MDEPLOY_MARATHON_URLS: "http://127.0.0.1:9" }, code)
    assert.match(run.stdout, /web\.main|nginx:1/)
    assert.deepStrictEqual(offending(run.files, etcdClient), [])
  })

  it("mdeploy apply still loads etcd3 (the check above can fail)", async () => {
    const run = await loadedFiles(["apply", "-f", join(dir, "web.yaml")])
    assert.isNotEmpty(offending(run.files, etcdClient))
  })

  it("mdeploy --version loads no Effect", async () => {
    const run = await loadedFiles(["--version"])
    assert.deepStrictEqual(run.files.filter((file) => /node_modules\/effect\/|^dist\//.test(file)), [])
  })
})
