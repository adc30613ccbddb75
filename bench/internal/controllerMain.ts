// `mdeploy controller` wired the way src/cli/commands/ControllerCommand.ts wires it, plus a knob the
// CLI does not have: --tracer native keeps the Prometheus metrics but traces with Effect's own
// tracer instead of the OpenTelemetry bridge, to measure what that bridge costs. Same flags as the
// command otherwise (--write-qps N for its --marathon-write-qps).
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer, Tracer } from "effect"
import { parseArgs } from "node:util"
import { runController } from "../../src/controller/Controller.ts"
import { marathonOptionsFromEnv, processIdentity, reconcileLayer } from "../../src/Layers.ts"
import * as LazyTelemetry from "../../src/telemetry/LazyTelemetry.ts"

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "8" },
    "leader-ttl": { type: "string", default: "5" },
    resync: { type: "string", default: "180" },
    "metrics-addr": { type: "string" },
    "write-qps": { type: "string", default: "50" },
    tracer: { type: "string", default: "otel" }
  },
  strict: true
})

const urls = (process.env["MDEPLOY_MARATHON_URLS"] ?? "http://127.0.0.1:8080").split(",")
const qps = Number(values["write-qps"])
const services = reconcileLayer(
  {
    endpoints: (process.env["MDEPLOY_ETCD_ENDPOINTS"] ?? "http://127.0.0.1:2379").split(","),
    prefix: process.env["MDEPLOY_ETCD_PREFIX"] ?? "/mdeploy/v1",
    retries: 8
  },
  // A burst of one second's worth, as the default (100 at 50/s) is two.
  { ...marathonOptionsFromEnv(urls, undefined), writeQps: qps, writeBurst: Math.max(100, qps) },
  { owner: process.env["MDEPLOY_OWNER"] }
)
const telemetry = LazyTelemetry.layer({ serviceName: "mdeploy-controller", metricsAddr: values["metrics-addr"] })

runController({
  identity: processIdentity("controller"),
  workers: Number(values.workers),
  leaderTtlSeconds: Number(values["leader-ttl"]),
  resyncEvery: Duration.seconds(Number(values.resync)),
  force: false,
  events: { urls }
}).pipe(
  (controller) => (values.tracer === "native" ? Effect.withTracer(controller, Tracer.nativeTracer) : controller),
  Effect.provide(Layer.merge(services, telemetry)),
  NodeRuntime.runMain
)
