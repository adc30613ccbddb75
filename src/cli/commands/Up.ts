// `mdeploy up`: the whole stack on one machine for a first run — a local etcd (child process, temp
// data dir), the Marathon emulator and the controller, then deploy/examples/ committed to a local
// git repository that a GitSource follows (so a commit there becomes a rollout; without git the
// examples are applied directly), and the rollout as it happens. Ctrl-C stops all of it
// (controller first, then emulator, then etcd).
// --until-rolled-out exits 0 once every example is rolled out (for scripted checks). The ports are
// fixed (demo/DemoPorts.ts) and written to the `demo` context, made current, so the commands it
// suggests work in any terminal; the examples are found next to this package, not in the cwd.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { Clock, Console, Duration, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { configPath } from "../config/ActiveContext.ts"
import { setContext } from "../config/ConfigWriter.ts"
import { startDemoEtcd } from "../demo/DemoEtcd.ts"
import { defaultPortBase, demoPorts, firstTakenPort } from "../demo/DemoPorts.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { instanceTable } from "../render/InstanceTable.ts"
import { ExitCode, exitWith } from "../CliExit.ts"

/** Said once everything is rolled out: what to try next, in another terminal. */
const nextSteps = (examples: string, repoDir: string | undefined): string =>
  [
    "",
    "every instance is rolled out. In another terminal (the demo context is current):",
    "  mdeploy get -w                                # the live table",
    ...(repoDir === undefined
      ? [`  mdeploy apply -f ${examples}/web.yaml   # after changing its image: a crossover bounce`]
      : [
        `  # the specs come from a local git repository (GitSource "examples"): edit ${repoDir}/web.yaml, then`,
        `  git -C ${repoDir} commit -am "more web" && mdeploy sync examples --wait`,
        "  mdeploy describe gitsource examples           # revision, inventory, sync history"
      ]),
    "  mdeploy rollout status web.main               # waits until it is rolled out",
    "  mdeploy describe web.main                     # spec, status, Marathon apps, history",
    "The status page (live, with each rollout's steps) is at the URL printed above.",
    "Ctrl-C here stops the demo."
  ].join("\n")

/** The repository's deploy/examples, found upwards so that the path holds from src/ and from the bundle in dist/. */
const examplesDir = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, "deploy", "examples")
}

export const up = Command.make(
  "up",
  {
    examples: Flag.String("filename").pipe(
      Flag.withAlias("f"),
      Flag.withDescription("manifests to apply once the stack is up"),
      Flag.withDefault(examplesDir())
    ),
    portBase: Flag.Int("port-base").pipe(
      Flag.withDescription(`etcd listens on N (clients) and N+1 (peers), the Marathon emulator on N+2, the status page on N+3`),
      Flag.withDefault(defaultPortBase)
    ),
    untilRolledOut: Flag.Boolean("until-rolled-out").pipe(
      Flag.withDescription("exit 0 once every applied instance is rolled out, 1 if not within --timeout"),
      Flag.withDefault(false)
    ),
    timeoutSeconds: Flag.Int("timeout").pipe(Flag.withDescription("seconds to wait with --until-rolled-out"), Flag.withDefault(120))
  },
  Effect.fn("Cli.up")(function*({ examples, portBase, untilRolledOut, timeoutSeconds }) {
    const { documents, problems } = yield* readManifests([examples], true)
    if (problems.length > 0) return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem))
    if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65532) {
      return yield* exitWith(ExitCode.error, `error: --port-base: ${portBase} is not a port from 1024 to 65532`)
    }
    const ports = demoPorts(portBase)
    const taken = yield* Effect.promise(() => firstTakenPort(ports))
    if (taken !== undefined) {
      return yield* exitWith(
        ExitCode.error,
        `error: port ${taken.port} (${taken.role}) is already in use on 127.0.0.1: stop what holds it (another 'mdeploy up'?) or move the demo with --port-base N`
      )
    }
    const { make: makeSim } = yield* Effect.promise(() => import("../../sim/MarathonSim.ts"))
    const { runController } = yield* Effect.promise(() => import("../../controller/Controller.ts"))
    const { processIdentity, reconcileLayer } = yield* Effect.promise(() => import("../../Layers.ts"))
    const { SpecStore } = yield* Effect.promise(() => import("../../store/SpecStore.ts"))
    const { StatusStore } = yield* Effect.promise(() => import("../../store/StatusStore.ts"))
    const { GitSourceStore } = yield* Effect.promise(() => import("../../store/GitSourceStore.ts"))
    const { makeLocalRepo } = yield* Effect.promise(() => import("../../gitops/LocalRepo.ts"))
    const { makeSyncContext } = yield* Effect.promise(() => import("../../gitops/GitSync.ts"))
    const { serveController } = yield* Effect.promise(() => import("../../ui/ControllerServer.ts"))
    const { TraceTap } = yield* Effect.promise(() => import("../../telemetry/TraceTap.ts"))
    const { isPassSpan, passRootName } = yield* Effect.promise(() => import("../../rollouts/PassTrace.ts"))
    const { recordRollouts } = yield* Effect.promise(() => import("../../rollouts/RolloutTap.ts"))
    const LazyTelemetry = yield* Effect.promise(() => import("../../telemetry/LazyTelemetry.ts"))
    const { Telemetry } = yield* Effect.promise(() => import("../../telemetry/Telemetry.ts"))

    const etcd = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startDemoEtcd(ports),
        catch: (error) => exitWith(ExitCode.error, `error: etcd: ${(error as Error).message}`)
      }),
      (cluster) => Effect.promise(() => cluster.close())
    )
    const sim = yield* makeSim({ port: ports.marathon, clock: "real", taskStartDelayMs: 400, healthyAfterMs: 1_200 })
    const prefix = "/mdeploy/v1"
    const etcdOptions = { endpoints: [etcd.endpoint], prefix }
    const files = [...new Set(documents.map((entry) => entry.file))].map((file) => ({
      path: relative(examples, file) || file.split("/").pop()!,
      content: readFileSync(file, "utf8")
    }))
    const repo = yield* Effect.option(makeLocalRepo(files, `examples from ${examples}`))
    const repoDir = Option.getOrUndefined(Option.map(repo, (r) => r.dir))
    const cacheRoot = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "mdeploy-up-cache-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const config = configPath(process.env, homedir())
    const contextNote = yield* Effect.try({
      try: () => {
        setContext(config, "demo", { etcd: etcd.endpoint, "etcd-prefix": prefix, marathon: sim.url }, true)
        return `context "demo" written to ${config} and made current`
      },
      catch: (error) => `could not write the "demo" context to ${config}: ${(error as Error).message}`
    }).pipe(Effect.catch((note) => Effect.succeed(note)))
    yield* Console.log([
      `etcd            ${etcd.endpoint}  (data in a temp dir, removed on exit)`,
      `marathon-sim    ${sim.url}`,
      `status page     http://127.0.0.1:${ports.http}/`,
      contextNote,
      `(or: export MDEPLOY_ETCD_ENDPOINTS=${etcd.endpoint} MDEPLOY_MARATHON_URLS=${sim.url})`,
      ""
    ].join("\n"))

    const services = reconcileLayer(etcdOptions, { urls: [sim.url], mesosUrl: sim.url })
    // As `mdeploy controller --http-addr`: rollouts from the passes' traces, the status page, /metrics.
    const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
    const telemetry = LazyTelemetry.layer({ serviceName: "mdeploy-up", metricsHandler: true, installLogger: false })
    yield* Effect.gen(function*() {
      yield* recordRollouts(tap)
      const metricsHandler = Option.getOrUndefined((yield* Telemetry).metricsHandler)
      yield* serveController(`127.0.0.1:${ports.http}`, process.env, { metricsHandler }).pipe(
        Effect.mapError((error) => exitWith(ExitCode.error, `error: ${error.message}`))
      )
      // Every pass's spans reach the tap, whichever tracer runs (telemetry/TraceTap.ts).
      const tracer = tap.wrap(yield* Effect.tracer)
      return yield* Effect.withTracer(
        runController({
          identity: processIdentity("controller"),
          workers: 4,
          leaderTtlSeconds: 5,
          resyncEvery: Duration.seconds(30),
          force: false,
          events: { urls: [sim.url] },
          gitops: makeSyncContext({ cacheRoot, env: process.env }),
          // A Notifier applied to the demo is served like in production (links need --status-url there).
          notify: { env: process.env, statusUrl: undefined, holder: processIdentity("controller") }
        }),
        tracer
      )
    }).pipe(Effect.scoped, Effect.provide([services, telemetry]), Effect.forkScoped)

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
      let announced = false
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
        // Every example arrived (through git they come one sync later) and is rolled out.
        const done = rows.length >= documents.length &&
          rows.every(({ instance, status }) =>
            status?.observedGeneration === instance.metadata.generation &&
            (status.phase === (instance.spec.desiredState === "stop" ? "Stopped" : "Running"))
          )
        if (untilRolledOut && done) return Option.some(true)
        if (done && !announced) {
          announced = true
          yield* Console.log(nextSteps(examples, repoDir))
        }
        if (untilRolledOut && (yield* Clock.currentTimeMillis) - started > timeoutSeconds * 1000) return Option.some(false)
        yield* Effect.sleep(Duration.millis(500))
      }
    }).pipe(Effect.provide(services))
    if (Option.getOrElse(outcome, () => true)) {
      yield* Console.log(nextSteps(examples, repoDir))
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
