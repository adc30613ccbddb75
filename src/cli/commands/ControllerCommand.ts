// `mdeploy controller`: runs the controller until a signal — leader election included, so any
// number of replicas may run; only the leader acts. Telemetry (OTLP via OTEL_* variables,
// Prometheus /metrics on the HTTP server) is loaded here only, never by the short-lived commands; the
// controller itself is imported when the command runs, so `mdeploy get` does not pay for it.
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { marathonFieldViolations } from "../../domain/MarathonFieldPolicy.ts"
import * as LazyTelemetry from "../../telemetry/LazyTelemetry.ts"
import { CliExit, ExitCode } from "../CliExit.ts"
import { etcdOptions, marathonUrls } from "../GlobalFlags.ts"
import { marathonFieldPolicyFlag, readMarathonFieldPolicy } from "../input/readFieldPolicy.ts"
import { shardFlags, shardsFromFlags } from "../ShardFlags.ts"
import { root } from "../Root.ts"

export const mesosFlag = Flag.String("mesos").pipe(
  Flag.withDescription("Mesos master URL for maintenance (at-risk hosts) (env MDEPLOY_MESOS_URL)"),
  Flag.optional
)

export const controllerCommand = Command.make(
  "controller",
  {
    workers: Flag.Int("workers").pipe(Flag.withDescription("reconciles running at once"), Flag.withDefault(8)),
    leaderTtl: Flag.Int("leader-ttl").pipe(
      Flag.withDescription("leader lease TTL in seconds (failover takes about this long)"),
      Flag.withDefault(5)
    ),
    metricsAddr: Flag.String("metrics-addr").pipe(
      Flag.withDescription(
        "alias of --http-addr (the same server); given with a different address than --http-addr, the server listens on both"
      ),
      Flag.optional
    ),
    httpAddr: Flag.String("http-addr").pipe(
      Flag.withDescription(
        "host:port of the controller's HTTP server (status page at /, JSON API at /api/v1, /metrics, /healthz, /readyz, GitOps webhooks at POST /hooks/git/<name>); off unless given"
      ),
      Flag.optional
    ),
    statusUrl: Flag.String("status-url").pipe(
      Flag.withDescription(
        "external URL of the status page, for links in notifications (env MDEPLOY_STATUS_URL; default http://<host>:<port> of --http-addr)"
      ),
      Flag.optional
    ),
    gitopsCacheDir: Flag.String("gitops-cache-dir").pipe(
      Flag.withDescription(
        "directory of the GitSources' cache clones (env MDEPLOY_GITOPS_CACHE_DIR; default a folder in the system temp dir)"
      ),
      Flag.optional
    ),
    resyncSeconds: Flag.Int("resync").pipe(
      Flag.withDescription("seconds between drift resyncs of every instance"),
      Flag.withDefault(180)
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("lift the deletion budget for this run: tear down every instance whose spec is gone, even all of them"),
      Flag.withDefault(false)
    ),
    cleanupWindow: Flag.Int("cleanup-window").pipe(
      Flag.withDescription("seconds of the deletion budget's window (default 600)"),
      Flag.withDefault(600)
    ),
    cleanupMaxFraction: Flag.Finite("cleanup-max-fraction").pipe(
      Flag.withDescription("share of the managed instances that may be torn down within one window (default 0.5)"),
      Flag.withDefault(0.5)
    ),
    adoptUnowned: Flag.Boolean("adopt-unowned").pipe(
      Flag.withDescription("treat apps made by mdeploy 0.1 (MDEPLOY_MANAGED without MDEPLOY_OWNER) as this installation's"),
      Flag.withDefault(false)
    ),
    mesos: mesosFlag,
    writeQps: Flag.Int("marathon-write-qps").pipe(
      Flag.withDescription("Marathon writes (create, scale, delete, kill) per second, all instances together, per Marathon shard"),
      Flag.withDefault(50)
    ),
    etcdCallTimeout: Flag.Int("etcd-call-timeout").pipe(
      Flag.withDescription("seconds an etcd call may take before it fails and its retry goes to another member"),
      Flag.withDefault(5)
    ),
    eventsSilence: Flag.Int("events-silence-timeout").pipe(
      Flag.withDescription("seconds without a byte (Marathon sends a heartbeat every 10) before /v2/events is reopened"),
      Flag.withDefault(30)
    ),
    writeBurst: Flag.Int("marathon-write-burst").pipe(
      Flag.withDescription("Marathon writes allowed at once after a quiet period"),
      Flag.withDefault(100)
    ),
    marathonFieldPolicy: marathonFieldPolicyFlag,
    ...shardFlags
  },
  Effect.fn("Cli.controller")(
    function*(
      {
        workers,
        leaderTtl,
        metricsAddr,
        httpAddr,
        statusUrl,
        gitopsCacheDir,
        resyncSeconds,
        force,
        cleanupWindow,
        cleanupMaxFraction,
        adoptUnowned,
        mesos,
        writeQps,
        writeBurst,
        marathonFieldPolicy,
        eventsSilence,
        etcdCallTimeout,
        marathonShard,
        previousMarathonShard
      }
    ) {
      const flags = yield* root
      // Read before anything starts: a controller must not run under a looser policy than its file says.
      const fieldPolicy = yield* readMarathonFieldPolicy(marathonFieldPolicy)
      const { runController } = yield* Effect.promise(() => import("../../controller/Controller.ts"))
      const { marathonOptionsFromEnv, processIdentity, reconcileLayer } = yield* Effect.promise(() => import("../../Layers.ts"))
      const urls = marathonUrls(flags)
      const shards = yield* shardsFromFlags({ marathonShard, previousMarathonShard }, urls)
      const mesosUrl = Option.getOrUndefined(mesos) ?? process.env["MDEPLOY_MESOS_URL"]
      const identity = processIdentity("controller")
      if (!(cleanupMaxFraction > 0 && cleanupMaxFraction <= 1)) {
        return yield* Effect.fail(
          new CliExit({ code: ExitCode.error, lines: [`error: --cleanup-max-fraction ${cleanupMaxFraction}: must be in (0, 1]`] })
        )
      }
      const services = reconcileLayer(
        { ...etcdOptions(flags), retries: 8, callTimeoutMs: Math.max(1, etcdCallTimeout) * 1000 },
        { ...marathonOptionsFromEnv(urls, mesosUrl), shards, writeQps: Math.max(1, writeQps), writeBurst: Math.max(1, writeBurst) },
        { owner: Option.getOrUndefined(flags.owner), adoptUnowned },
        fieldPolicy
      )
      // --metrics-addr is an alias: one server, listening on each distinct address given.
      const listen = [...new Set([...Option.toArray(httpAddr), ...Option.toArray(metricsAddr)])]
      // Rollouts are built from the reconcile passes' spans (design.md §13).
      const { TraceTap } = yield* Effect.promise(() => import("../../telemetry/TraceTap.ts"))
      const { isPassSpan, passRootName } = yield* Effect.promise(() => import("../../rollouts/PassTrace.ts"))
      const { recordRollouts } = yield* Effect.promise(() => import("../../rollouts/RolloutTap.ts"))
      const { Telemetry } = yield* Effect.promise(() => import("../../telemetry/Telemetry.ts"))
      const tap = new TraceTap({ root: passRootName, keep: isPassSpan })
      const telemetry = LazyTelemetry.layer({
        serviceName: "mdeploy-controller",
        metricsHandler: listen.length > 0
      })
      const { Owner } = yield* Effect.promise(() => import("../../controller/Owner.ts"))
      const { heapGrowthByPhase } = yield* Effect.promise(() => import("../ControllerHeap.ts"))
      const heap = heapGrowthByPhase(process.env)
      const { serveController } = yield* Effect.promise(() => import("../../ui/ControllerServer.ts"))
      const { makeSyncContext } = yield* Effect.promise(() => import("../../gitops/GitSync.ts"))
      const { statusBaseUrl } = yield* Effect.promise(() => import("../../notify/StatusUrl.ts"))
      const externalUrl = statusBaseUrl(
        Option.getOrUndefined(statusUrl) ?? process.env["MDEPLOY_STATUS_URL"],
        Option.getOrUndefined(httpAddr),
        hostname()
      )
      const cacheRoot = Option.getOrUndefined(gitopsCacheDir) ?? process.env["MDEPLOY_GITOPS_CACHE_DIR"] ??
        join(tmpdir(), `mdeploy-gitops-${process.getuid?.() ?? "user"}`)
      return yield* Effect.gen(function*() {
        yield* recordRollouts(tap)
        const metricsHandler = Option.getOrUndefined((yield* Telemetry).metricsHandler)
        for (const addr of listen) {
          yield* serveController(addr, process.env, { metricsHandler }).pipe(
            Effect.mapError((error) => new CliExit({ code: ExitCode.error, lines: [`error: ${error.message}`] }))
          )
        }
        const ownership = yield* Owner
        yield* Effect.logInfo("mdeploy controller starting").pipe(
          Effect.annotateLogs({
            identity,
            workers,
            owner: ownership.owner,
            adoptUnowned: ownership.adoptUnowned,
            marathon: shards.map((shard) => `${shard.retiring ? "previous " : ""}${shard.name}=${shard.urls.join(",")}`).join("; "),
            etcd: flags.etcd,
            marathonFieldPolicy: Option.getOrElse(marathonFieldPolicy, () => "built-in")
          })
        )
        // Every pass's spans reach the tap, whichever tracer runs (telemetry/TraceTap.ts).
        const tracer = tap.wrap(yield* Effect.tracer)
        return yield* Effect.withTracer(
          runController({
            identity,
            workers: Math.max(1, workers),
            leaderTtlSeconds: Math.max(2, leaderTtl),
            resyncEvery: Duration.seconds(Math.max(1, resyncSeconds)),
            force,
            cleanupWindow: Duration.seconds(Math.max(1, cleanupWindow)),
            cleanupMaxFraction,
            events: {
              urls,
              username: process.env["MDEPLOY_MARATHON_USER"],
              password: Option.getOrUndefined(Option.map(Option.fromUndefinedOr(process.env["MDEPLOY_MARATHON_PASSWORD"]), Redacted.make)),
              silenceTimeout: Duration.seconds(Math.max(1, eventsSilence))
            },
            eventShards: shards,
            ...(heap === undefined ? {} : { onWorkload: heap.onWorkload }),
            notify: { env: process.env, statusUrl: externalUrl, holder: identity },
            gitops: makeSyncContext({
              cacheRoot,
              env: process.env,
              // The operator's Marathon field policy holds for specs from git as for `apply`.
              check: (document) =>
                marathonFieldViolations(fieldPolicy, document.spec.marathon).map((violation) => ({
                  path: ["spec", "marathon", ...violation.segments],
                  message: violation.message
                }))
            })
          }),
          tracer
        )
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(services, telemetry)))
    }
  )
).pipe(
  Command.withDescription("Run the controller (leader election included) until a signal"),
  Command.withExamples([
    {
      command: "mdeploy controller --workers 16 --http-addr :9102",
      description: "Run with 16 workers; status page, API and /metrics on port 9102"
    }
  ])
)
