import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Fiber, Layer, Redacted, Ref, Schedule } from "effect"
import { HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { MarathonClient } from "../../src/marathon/MarathonClient.ts"
import type { MarathonError } from "../../src/marathon/MarathonError.ts"
import type { FakeAnswer, SeenRequest } from "./FakeHttp.ts"
import { fakeHttp } from "./FakeHttp.ts"
import { recordingTracer } from "./RecordingTracer.ts"

const fastRetry = Schedule.exponential("10 millis").pipe(
  Schedule.upTo({ times: 4 }),
  Schedule.setInputType<MarathonError>(),
  Schedule.while(({ input }) => input.retryable)
)

/** A client over a scripted HttpClient; `answers` are used in order, the last one repeats. */
const withClient = <A, E>(
  answers: ReadonlyArray<FakeAnswer> | ((request: SeenRequest) => FakeAnswer),
  use: (client: MarathonClient["Service"], seen: Effect.Effect<ReadonlyArray<SeenRequest>>) => Effect.Effect<A, E>,
  options: { readonly urls?: ReadonlyArray<string>; readonly username?: string } = {}
) =>
  Effect.gen(function*() {
    let next = 0
    const handler = typeof answers === "function" ? answers : () => answers[Math.min(next++, answers.length - 1)]!
    const { client: http, seen } = yield* fakeHttp(handler)
    const layer = MarathonClient.layerNoDeps({
      urls: options.urls ?? ["http://m1:8080"],
      retrySchedule: fastRetry,
      requestTimeout: "2 seconds",
      ...(options.username === undefined ? {} : { username: options.username, password: Redacted.make("secret") })
    }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, http)))
    const client = yield* Effect.provide(MarathonClient, layer)
    return yield* use(client, Ref.get(seen))
  })

const app = {
  id: "/web.main.gitaaaa.config1111",
  instances: 2,
  labels: { MDEPLOY_MANAGED: "true" },
  version: "2024-05-01T12:00:00.000Z",
  versionInfo: { lastConfigChangeAt: "2024-05-01T11:00:00.000Z" },
  healthChecks: [{ protocol: "MESOS_HTTP", gracePeriodSeconds: 60, intervalSeconds: 10 }],
  tasks: [
    {
      id: "web.main.t1",
      appId: "/web.main.gitaaaa.config1111",
      host: "a1",
      state: "TASK_RUNNING",
      startedAt: "2024-05-01T12:00:01.000Z",
      stagedAt: "2024-05-01T12:00:00.000Z",
      ports: [31000],
      healthCheckResults: [{ alive: true, consecutiveFailures: 0 }]
    },
    { id: "web.main.t2", appId: "/web.main.gitaaaa.config1111", host: "a2", state: "TASK_STAGING", ports: null, healthCheckResults: null }
  ],
  deployments: [{ id: "d1" }],
  tasksRunning: 1,
  lastTaskFailure: {
    appId: "/web.main.gitaaaa.config1111",
    host: "a3",
    message: "Docker container run error: Container exited on error: exited with status 1",
    state: "TASK_FAILED",
    taskId: "web.main.t0",
    timestamp: "2024-05-01T11:59:00.000Z",
    version: "2024-05-01T11:00:00.000Z"
  }
}

describe("MarathonClient over HTTP (fake transport)", () => {
  it.effect("listApps asks once for managed apps with tasks, deployments and the last task failure, and decodes only what it needs", () =>
    withClient(
      [{ status: 200, body: { apps: [app, { id: "/other", instances: 0, labels: null, tasks: null }] } }],
      (client, seen) =>
        Effect.gen(function*() {
          const apps = yield* client.listApps
          const [request] = yield* seen
          const url = new URL(request!.url)
          assert.strictEqual(url.pathname, "/v2/apps")
          assert.deepStrictEqual(url.searchParams.getAll("embed"), ["apps.tasks", "apps.deployments", "apps.lastTaskFailure"])
          assert.strictEqual(url.searchParams.get("label"), "MDEPLOY_MANAGED==true")
          assert.strictEqual(apps.length, 2)
          const [first] = apps
          assert.strictEqual(first!.version, "2024-05-01T11:00:00.000Z")
          assert.deepStrictEqual(first!.healthCheck, { gracePeriodSeconds: 60, intervalSeconds: 10 })
          assert.deepStrictEqual(first!.deployments, ["d1"])
          assert.strictEqual(DateTime.formatIso(first!.tasks[0]!.startedAt!), "2024-05-01T12:00:01.000Z")
          assert.deepStrictEqual(first!.tasks[0]!.healthCheckResults, [{ alive: true }])
          assert.deepStrictEqual(first!.tasks[1]!.ports, [])
          assert.isUndefined(first!.tasks[1]!.startedAt)
          assert.deepStrictEqual(apps[1]!.labels, {})
          assert.deepStrictEqual(first!.lastTaskFailure, {
            taskId: "web.main.t0",
            state: "TASK_FAILED",
            message: "Docker container run error: Container exited on error: exited with status 1",
            at: "2024-05-01T11:59:00.000Z",
            host: "a3"
          })
          assert.isUndefined(apps[1]!.lastTaskFailure)
        })
    ))

  it.effect("create: 201 ⇒ Created; 409 already exists ⇒ AlreadyExists; 409 locked ⇒ DeploymentLocked", () =>
    Effect.gen(function*() {
      const definition = { id: "/web.main.gitaaaa.config1111", cmd: "serve", instances: 1 }
      assert.strictEqual(yield* withClient([{ status: 201, body: app }], (c) => c.createApp(definition)), "Created")
      assert.strictEqual(
        yield* withClient([{ status: 409, body: { message: "An app with id [/web.main.gitaaaa.config1111] already exists." } }], (c) =>
          c.createApp(definition)),
        "AlreadyExists"
      )
      const locked = yield* withClient(
        [{ status: 409, body: { message: "App is locked by one or more deployments.", deployments: [{ id: "d9" }] } }],
        (c) =>
          Effect.flip(c.createApp(definition))
      )
      assert.strictEqual(locked.reason._tag, "DeploymentLocked")
      assert.isFalse(locked.retryable)
    }))

  // Retries wait on real (10 ms) delays: it.live.
  it.live("5xx and transport errors are retried, then succeed; each retry is an event on the call's span", () =>
    Effect.gen(function*() {
      const { tracer, spans } = recordingTracer()
      const result = yield* withClient(
        [{ status: 503, text: "" }, "transport-error", { status: 500, body: { message: "boom" } }, {
          status: 200,
          body: { deploymentId: "d2" }
        }],
        (client, seen) => Effect.map(Effect.zip(client.scaleApp("/web.main.gitaaaa.config1111", 3), seen), ([r, s]) => ({ r, s }))
      ).pipe(Effect.withTracer(tracer))
      assert.strictEqual(result.r.deploymentId, "d2")
      assert.strictEqual(result.s.length, 4)
      assert.deepStrictEqual(result.s.map((r) => r.method), ["PATCH", "PATCH", "PATCH", "PATCH"])
      assert.strictEqual(result.s[0]!.body, "{\"instances\":3}")
      assert.strictEqual(new URL(result.s[0]!.url).searchParams.get("force"), "true")
      const span = spans.find((s) => s.name === "MarathonClient.scaleApp")!
      assert.deepStrictEqual(span.events.map(([name, , attributes]) => [name, attributes["error.type"]]), [
        ["marathon.retry", "Unavailable"],
        ["marathon.retry", "Unavailable"],
        ["marathon.retry", "Unavailable"]
      ])
    }))

  it.effect("4xx answers are not retried: 422 is Rejected, 401 Unauthorized", () =>
    Effect.gen(function*() {
      const rejected = yield* withClient(
        [{ status: 422, body: { message: "Object is not valid", details: [{ path: "/id" }] } }],
        (c, seen) => Effect.zip(Effect.flip(c.createApp({ id: "/Bad" })), seen)
      )
      assert.strictEqual(rejected[0].reason._tag, "Rejected")
      assert.strictEqual(rejected[1].length, 1)
      const unauthorized = yield* withClient([{ status: 401, text: "<html>401</html>" }], (c) => Effect.flip(c.listApps))
      assert.strictEqual(unauthorized.reason._tag, "Unauthorized")
      const jettyPage = "<html>\n<head>\n<title>Error 401 Unauthorized</title>\n</head>\n<body><h2>HTTP ERROR 401</h2></body></html>"
      const paged = yield* withClient([{ status: 401, text: jettyPage }], (c) => Effect.flip(c.listApps))
      assert.strictEqual(
        paged.message,
        "GET /v2/apps: Unauthorized: HTTP 401: Error 401 Unauthorized (check MDEPLOY_MARATHON_USER/MDEPLOY_MARATHON_PASSWORD)"
      )
    }))

  it.live("fails over to the next Marathon URL and sends basic auth on every request", () =>
    withClient(
      (request) => (request.url.startsWith("http://m1") ? "transport-error" : { status: 200, body: { apps: [] } }),
      (client, seen) =>
        Effect.gen(function*() {
          yield* client.listApps
          yield* client.listApps
          const requests = yield* seen
          assert.deepStrictEqual(requests.map((r) => new URL(r.url).host), ["m1:8080", "m2:8080", "m2:8080"])
          for (const r of requests) assert.strictEqual(r.headers["authorization"], `Basic ${btoa("mdeploy:secret")}`)
        }),
      { urls: ["http://m1:8080", "http://m2:8080/"], username: "mdeploy" }
    ))

  it.effect("a request that hangs times out and is retried", () =>
    Effect.gen(function*() {
      let calls = 0
      const fiber = yield* Effect.forkChild(
        withClient(() => (calls++ === 0 ? "hang" : { status: 200, body: [] }), (c) => c.listDeployments)
      )
      yield* TestClock.adjust("2 seconds")
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), [])
      assert.strictEqual(calls, 2)
    }))

  it.effect("delete: absent app ⇒ AlreadyGone; kill: empty list sends nothing, unknown/422/404 mean already gone", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* withClient([{ status: 404, body: { message: "App '/x' does not exist" } }], (c) => c.deleteApp("/x")),
        "AlreadyGone"
      )
      const none = yield* withClient([{ status: 500 }], (c, seen) => Effect.andThen(c.killTasks([]), seen))
      assert.strictEqual(none.length, 0)
      const kill = yield* withClient(
        [{ status: 200, body: { deploymentId: "d", version: "v" } }],
        (c, seen) => Effect.andThen(c.killTasks(["a", "b"]), seen)
      )
      const url = new URL(kill[0]!.url)
      assert.strictEqual(url.pathname, "/v2/tasks/delete")
      assert.strictEqual(url.searchParams.get("scale"), "true")
      assert.strictEqual(kill[0]!.body, "{\"ids\":[\"a\",\"b\"]}")
      yield* withClient([{ status: 422, body: { message: "Bean is not valid" } }], (c) => c.killTasks(["a"]))
      yield* withClient([{ status: 404, body: { message: "Path '/x' does not exist" } }], (c) => c.killTasks(["a"]))
      const bad = yield* withClient([{ status: 400, body: { message: "Invalid task id 'a'" } }], (c) => Effect.flip(c.killTasks(["a"])))
      assert.strictEqual(bad.reason._tag, "Rejected")
    }))

  it.live("retries stop after the schedule's budget and the last error is returned", () =>
    withClient([{ status: 502, text: "Could not determine the current leader" }], (client, seen) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(client.getApp("/web.main.gitaaaa.config1111"))
        assert.strictEqual(error.reason._tag, "Unavailable")
        assert.isTrue(error.retryable)
        assert.strictEqual((yield* seen).length, 5)
      })))
})
