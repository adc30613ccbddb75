// `mdeploy up`: the whole stack on one machine for a first run — a local etcd (child process, temp
// data dir), the Marathon emulator and the controller, then deploy/examples/ committed to a local
// git repository that a GitSource follows (so a commit there becomes a rollout; without git the
// examples are applied directly), and the rollout as it happens. Ctrl-C stops all of it (controller first, then emulator, then etcd).
// --until-rolled-out exits 0 once every example is rolled out (for scripted checks).
import { Clock, Console, Duration, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { instanceTable } from "../render/InstanceTable.ts"
import { ExitCode, exitWith } from "../CliExit.ts"

export const up = Command.make(
  "up",
  {
    examples: Flag.String("filename").pipe(
      Flag.withAlias("f"),
      Flag.withDescription("manifests to apply once the stack is up"),
      Flag.withDefault("deploy/examples")
    ),
    marathonPort: Flag.Int("marathon-port").pipe(Flag.withDescription("emulator port (0 = free)"), Flag.withDefault(0)),
    untilRolledOut: Flag.Boolean("until-rolled-out").pipe(
      Flag.withDescription("exit 0 once every applied instance is rolled out, 1 if not within --timeout"),
      Flag.withDefault(false)
    ),
    timeoutSeconds: Flag.Int("timeout").pipe(Flag.withDescription("seconds to wait with --until-rolled-out"), Flag.withDefault(120))
  },
  Effect.fn("Cli.up")(function*({ examples, marathonPort, untilRolledOut, timeoutSeconds }) {
    const { documents, problems } = yield* readManifests([examples], true)
    if (problems.length > 0) return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem))

    const { startLocalEtcd } = yield* Effect.promise(() => import("../../store/LocalEtcd.ts"))
    const { make: makeSim } = yield* Effect.promise(() => import("../../sim/MarathonSim.ts"))
    const { runController } = yield* Effect.promise(() => import("../../controller/Controller.ts"))
    const { processIdentity, reconcileLayer } = yield* Effect.promise(() => import("../../Layers.ts"))
    const { SpecStore } = yield* Effect.promise(() => import("../../store/SpecStore.ts"))
    const { StatusStore } = yield* Effect.promise(() => import("../../store/StatusStore.ts"))
    const { GitSourceStore } = yield* Effect.promise(() => import("../../store/GitSourceStore.ts"))
    const { makeLocalRepo } = yield* Effect.promise(() => import("../../gitops/LocalRepo.ts"))
    const { makeSyncContext } = yield* Effect.promise(() => import("../../gitops/GitSync.ts"))

    const etcd = yield* Effect.acquireRelease(
      Effect.promise(() => startLocalEtcd()),
      (cluster) => Effect.promise(() => cluster.close())
    )
    const sim = yield* makeSim({ port: marathonPort, clock: "real", taskStartDelayMs: 400, healthyAfterMs: 1_200 })
    const etcdOptions = { endpoints: [etcd.endpoints], prefix: "/mdeploy/v1" }
    const files = [...new Set(documents.map((entry) => entry.file))].map((file) => ({
      path: relative(examples, file) || file.split("/").pop()!,
      content: readFileSync(file, "utf8")
    }))
    const repo = yield* Effect.option(makeLocalRepo(files, `examples from ${examples}`))
    const cacheRoot = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "mdeploy-up-cache-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    yield* Console.log([
      `etcd            ${etcd.endpoints}  (data in a temp dir, removed on exit)`,
      `marathon-sim    ${sim.url}`,
      "",
      "In another terminal:",
      `  export MDEPLOY_ETCD_ENDPOINTS=${etcd.endpoints} MDEPLOY_MARATHON_URLS=${sim.url}`,
      ...(Option.isSome(repo)
        ? [
          "  npx mdeploy get -o wide      # SOURCE examples: the specs come from a local git repository",
          `  # edit ${repo.value.dir}/web.yaml, then`,
          `  git -C ${repo.value.dir} commit -am "more web" && npx mdeploy sync examples --wait`,
          "  npx mdeploy describe gitsource examples"
        ]
        : ["  npx mdeploy get -o wide      # then edit deploy/examples/web.yaml and `npx mdeploy apply -f` it"]),
      ""
    ].join("\n"))

    const services = reconcileLayer(etcdOptions, { urls: [sim.url], mesosUrl: sim.url })
    yield* runController({
      identity: processIdentity("controller"),
      workers: 4,
      leaderTtlSeconds: 5,
      resyncEvery: Duration.seconds(30),
      force: false,
      events: { urls: [sim.url] },
      gitops: makeSyncContext({ cacheRoot, env: process.env })
    }).pipe(Effect.provide(services), Effect.forkScoped)

    const outcome = yield* Effect.gen(function*() {
      const specs = yield* SpecStore
      const statuses = yield* StatusStore
      if (Option.isSome(repo)) {
        const sources = yield* GitSourceStore
        const applied = yield* sources.apply({
          apiVersion: "mdeploy.dev/v1",
          kind: "GitSource",
          metadata: { name: "examples" },
          spec: { url: repo.value.url, ref: { branch: "main" }, interval: "10s" }
        })
        yield* Console.log(`gitsource/examples ${applied.action} (${repo.value.url})`)
      } else {
        for (const { document } of documents) {
          const applied = yield* specs.apply(document, { lastApplied: true })
          yield* Console.log(`serviceinstance/${document.metadata.name} ${applied.action}`)
        }
      }
      // Show the rollout: the table again whenever it changes.
      let shown = ""
      const started = yield* Clock.currentTimeMillis
      for (;;) {
        const listed = yield* specs.list()
        const statusMap = yield* statuses.list()
        const rows = listed.items.map((instance) => ({ instance, status: statusMap.get(instance.metadata.name) }))
        const table = instanceTable(rows, false, yield* Clock.currentTimeMillis).replace(/\s+\d+[smhd]$/gm, "")
        if (table !== shown) {
          yield* Console.log(`\n${instanceTable(rows, false, yield* Clock.currentTimeMillis)}`)
          shown = table
        }
        const done = rows.length >= documents.length &&
          rows.every(({ instance, status }) =>
            status?.observedGeneration === instance.metadata.generation &&
            (status.phase === (instance.spec.desiredState === "stop" ? "Stopped" : "Running"))
          )
        if (untilRolledOut && done) return Option.some(true)
        if (untilRolledOut && (yield* Clock.currentTimeMillis) - started > timeoutSeconds * 1000) return Option.some(false)
        yield* Effect.sleep(Duration.millis(500))
      }
    }).pipe(Effect.provide(services))
    if (Option.getOrElse(outcome, () => true)) {
      yield* Console.log("\nevery instance is rolled out")
      return
    }
    return yield* exitWith(ExitCode.invalid, `error: not rolled out within ${timeoutSeconds}s`)
  }, Effect.scoped)
).pipe(
  Command.withDescription("Start etcd, the Marathon emulator and the controller locally, apply deploy/examples/, show the rollout"),
  Command.withExamples([
    { command: "mdeploy up", description: "The local stack; Ctrl-C stops it" },
    { command: "mdeploy up --until-rolled-out", description: "Exit once every example is rolled out" }
  ])
)
