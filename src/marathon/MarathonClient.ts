// The Marathon REST client (spec/marathon-emulator.md §1): list, get, create, scale, delete apps,
// kill-and-scale tasks, list deployments. Built on Effect's HttpClient (the composition root
// provides NodeHttpClient.layerUndici). Owns retries (marathonRetrySchedule, retryable errors
// only, each retry a span event), fail-over across Marathon URLs, basic auth and per-request
// timeouts. Create and kill are idempotent; it never decides what to do, only how to call.
import type { Duration } from "effect"
import { Clock, Config, Context, Effect, Layer, Option, Redacted, Ref, Schedule, Schema } from "effect"
import type { HttpClientError } from "effect/http"
import { HttpClient, HttpClientRequest } from "effect/http"
import type { AppDefinition } from "../domain/AppDefinition.ts"
import type { ObservedApp } from "../plan/Observed.ts"
import type { MarathonErrorReason } from "./MarathonError.ts"
import { AlreadyExists, AppNotFound, DeploymentLocked, MarathonError, Rejected, Unauthorized, Unavailable } from "./MarathonError.ts"
import { recordMarathonRequest } from "../telemetry/ControllerMetrics.ts"
import type { DeploymentResult, MarathonDeployment } from "./MarathonSchema.ts"
import * as Payload from "./MarathonSchema.ts"
import { decodeAppEnvelope, decodeAppList, UnreadableAnswer } from "./AppListDecoder.ts"
import { makeAppListReader } from "./AppListReader.ts"
import { currentSpan } from "../telemetry/CurrentSpan.ts"

export interface MarathonClientConfig {
  /** Marathon base URLs, tried in turn when one is unreachable or answers 5xx. */
  readonly urls: ReadonlyArray<string>
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Per request, body included (PaaSTA: 30 s). */
  readonly requestTimeout?: Duration.Input
  /** Replaces marathonRetrySchedule (tests use a fast one). */
  readonly retrySchedule?: Schedule.Schedule<unknown, MarathonError>
}

/** Exponential from 200 ms, capped at 5 s, jittered, at most 5 retries, retryable errors only. */
export const marathonRetrySchedule: Schedule.Schedule<unknown, MarathonError> = Schedule.min([
  Schedule.exponential("200 millis"),
  Schedule.spaced("5 seconds")
]).pipe(
  Schedule.jittered,
  Schedule.upTo({ times: 5 }),
  Schedule.setInputType<MarathonError>(),
  Schedule.while(({ input }) => input.retryable)
)

export type CreateResult = "Created" | "AlreadyExists"
export type DeleteResult = "Deleted" | "AlreadyGone"

export class MarathonClient extends Context.Service<MarathonClient, {
  /** Managed apps (label MDEPLOY_MANAGED==true) with tasks and deployments embedded, in one call. */
  readonly listApps: Effect.Effect<ReadonlyArray<ObservedApp>, MarathonError>
  /** Apps whose id contains `fragment` (Marathon's case-insensitive id filter), managed or not. */
  readonly listAppsById: (fragment: string) => Effect.Effect<ReadonlyArray<ObservedApp>, MarathonError>
  /** One app with its tasks; AppNotFound when absent. */
  readonly getApp: (appId: string) => Effect.Effect<ObservedApp, MarathonError>
  /** POST /v2/apps; "already exists" (e.g. after a retried commit) is AlreadyExists, not an error. */
  readonly createApp: (definition: AppDefinition) => Effect.Effect<CreateResult, MarathonError>
  /** Sets `instances` with force (PATCH), like PaaSTA's scale_app(force=True). */
  readonly scaleApp: (appId: string, instances: number) => Effect.Effect<DeploymentResult, MarathonError>
  /** DELETE with force; an absent app is AlreadyGone. */
  readonly deleteApp: (appId: string) => Effect.Effect<DeleteResult, MarathonError>
  /** Batch kill-and-scale (POST /v2/tasks/delete?scale=true&force=true); unknown ids are already gone. */
  readonly killTasks: (taskIds: ReadonlyArray<string>) => Effect.Effect<void, MarathonError>
  readonly listDeployments: Effect.Effect<ReadonlyArray<MarathonDeployment>, MarathonError>
}>()("mdeploy/marathon/MarathonClient") {
  static readonly layerNoDeps = (config: MarathonClientConfig) => Layer.effect(MarathonClient, make(config))

  /** Reads MDEPLOY_MARATHON_URLS (comma-separated), MDEPLOY_MARATHON_USER, MDEPLOY_MARATHON_PASSWORD. */
  static readonly layerConfig = Layer.unwrap(Effect.gen(function*() {
    const urls = yield* Config.String("MDEPLOY_MARATHON_URLS").pipe(Config.withDefault("http://127.0.0.1:8080"))
    const username = yield* Config.option(Config.String("MDEPLOY_MARATHON_USER"))
    const password = yield* Config.option(Config.Redacted("MDEPLOY_MARATHON_PASSWORD"))
    return MarathonClient.layerNoDeps({
      urls: urls.split(",").map((url) => url.trim()).filter((url) => url !== ""),
      username: Option.getOrUndefined(username),
      password: Option.getOrUndefined(password)
    })
  }))
}

interface Answer {
  readonly status: number
  /** The body as text; empty when it was kept as `bytes`. */
  readonly text: string
  readonly bytes?: Uint8Array
}

/** "GET /v2/apps/{id}": the route of a request without its ids, to keep metric series few. */
export const routeTemplate = (method: string, url: string): string => {
  const path = url.split("?")[0] ?? url
  const template = path
    .replace(/^\/v2\/apps\/.+\/tasks\/[^/]+$/, "/v2/apps/{id}/tasks/{taskId}")
    .replace(/^\/v2\/apps\/.+\/(tasks|restart|versions)$/, "/v2/apps/{id}/$1")
    .replace(/^\/v2\/apps\/(?!\{id\}).+$/, "/v2/apps/{id}")
    .replace(/^\/v2\/deployments\/.+$/, "/v2/deployments/{id}")
  return `${method} ${template}`
}

const decodeErrorBody = Schema.decodeUnknownOption(Schema.fromJsonString(Payload.ErrorBody))
type AnswerDecoder<A> = (text: string) => Effect.Effect<A, { readonly message: string }>
// Apps are read by AppListDecoder.ts, which builds the planner's apps in one walk (a resync lists them all).
const appAnswer = <I, A>(decode: (answer: I) => A) => (answer: I): Effect.Effect<A, UnreadableAnswer> =>
  Effect.try({
    try: () => decode(answer),
    catch: (error) => error instanceof UnreadableAnswer ? error : new UnreadableAnswer(String(error))
  })
const decodeApps = appAnswer(decodeAppList)
const decodeApp = appAnswer(decodeAppEnvelope)
// Built once: a decoder made per answer compiles its parser again for every Marathon call.
const decodeDeploymentResult: AnswerDecoder<DeploymentResult> = Schema.decodeUnknownEffect(Schema.fromJsonString(Payload.DeploymentResult))
const decodeDeploymentList: AnswerDecoder<ReadonlyArray<MarathonDeployment>> = Schema.decodeUnknownEffect(
  Schema.fromJsonString(Payload.DeploymentList)
)

/** Maps a non-2xx answer to its reason (spec/marathon-emulator.md §2). */
export const reasonFor = (answer: Answer): MarathonErrorReason => {
  const body = Option.getOrUndefined(decodeErrorBody(answer.text))
  // Jetty's error pages (401, 403, some 5xx) are HTML: their title says it in one line.
  const page = /^\s*<(!doctype|html)/i.test(answer.text) ? /<title>([^<]*)<\/title>/i.exec(answer.text)?.[1]?.trim() : undefined
  const message = body?.message ?? (page !== undefined ? `HTTP ${answer.status}: ${page}` : undefined) ??
    (answer.text.slice(0, 200) || `HTTP ${answer.status}`)
  if (answer.status >= 500) return new Unavailable({ message, status: answer.status })
  if (answer.status === 401) {
    return new Unauthorized({ message: `${message} (check MDEPLOY_MARATHON_USER/MDEPLOY_MARATHON_PASSWORD)`, status: answer.status })
  }
  if (answer.status === 403) {
    // "Max number (N) of running deployments is achieved": wait, do not give up.
    return /running deployments/i.test(message)
      ? new Unavailable({ message, status: answer.status })
      : new Unauthorized({ message, status: answer.status })
  }
  if (answer.status === 404) return new AppNotFound({ message })
  if (answer.status === 409) {
    return /already exists/i.test(message) && body?.deployments == null
      ? new AlreadyExists({ message })
      : new DeploymentLocked({ message, deployments: (body?.deployments ?? []).map((d) => d.id) })
  }
  return new Rejected({ message, status: answer.status, details: body?.details })
}

const make = Effect.fnUntraced(function*(config: MarathonClientConfig) {
  const http = yield* HttpClient.HttpClient
  const urls = config.urls.map((url) => url.replace(/\/+$/, ""))
  if (urls.length === 0) return yield* Effect.die(new Error("MarathonClient: at least one Marathon URL is required"))
  const current = yield* Ref.make(0)
  const timeout = config.requestTimeout ?? "30 seconds"
  const retrySchedule = (config.retrySchedule ?? marathonRetrySchedule).pipe(
    Schedule.tap((meta) => recordRetry(meta.attempt, meta.input))
  )
  const authorize = config.username === undefined
    ? (request: HttpClientRequest.HttpClientRequest) => request
    : HttpClientRequest.basicAuth(config.username, config.password ?? Redacted.make(""))

  /**
   * One call: the current URL, a timeout, then fail-over and retries on retryable errors. With
   * `bytes`, a successful answer's body is kept as bytes (AppListReader reads the app list so).
   */
  const call = (request: HttpClientRequest.HttpClientRequest, bytes = false) => {
    const route = routeTemplate(request.method, request.url)
    const attempt = Effect.gen(function*() {
      const index = yield* Ref.get(current)
      const base = urls[index % urls.length]!
      const fail = (reason: MarathonErrorReason) => new MarathonError({ reason, method: request.method, path: request.url })
      const started = yield* Clock.currentTimeMillis
      const answer = yield* http.execute(authorize(HttpClientRequest.prependUrl(request, base))).pipe(
        Effect.flatMap((response): Effect.Effect<Answer, HttpClientError.HttpClientError> =>
          bytes && response.status >= 200 && response.status < 300
            ? Effect.map(response.arrayBuffer, (body) => ({ status: response.status, text: "", bytes: new Uint8Array(body) }))
            : Effect.map(response.text, (text) => ({ status: response.status, text }))
        ),
        Effect.mapError((error) => fail(new Unavailable({ message: error.message }))),
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(fail(new Unavailable({ message: `no answer from ${base} in time` })))
        }),
        Effect.onExit((exit) =>
          Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => recordMarathonRequest(route, exit._tag === "Success" ? exit.value.status : "error", (now - started) / 1000)
          )
        )
      )
      if (answer.status >= 200 && answer.status < 300) return answer
      return yield* fail(reasonFor(answer))
    }).pipe(
      // Unreachable or failing server: the next attempt goes to the next URL.
      Effect.tapError((error) => error.retryable ? Ref.update(current, (i) => (i + 1) % urls.length) : Effect.void)
    )
    return Effect.retry(attempt, retrySchedule)
  }

  const decodeAnswer = <A>(
    decoder: (answer: Answer) => Effect.Effect<A, { readonly message: string }>,
    request: HttpClientRequest.HttpClientRequest
  ) =>
  (answer: Answer) =>
    decoder(answer).pipe(
      Effect.mapError((issue) =>
        new MarathonError({
          reason: new Unavailable({ message: `unreadable answer: ${issue.message}`, status: answer.status }),
          method: request.method,
          path: request.url
        })
      )
    )
  const decode = <A>(decoder: AnswerDecoder<A>, request: HttpClientRequest.HttpClientRequest) =>
    decodeAnswer((answer) => decoder(answer.text), request)

  const fetchApps = (request: HttpClientRequest.HttpClientRequest) => call(request).pipe(Effect.flatMap(decode(decodeApps, request)))

  const appPath = (appId: string) => `/v2/apps/${appId.replace(/^\/+/, "")}`
  const embeds = { embed: ["apps.tasks", "apps.deployments", "apps.lastTaskFailure"] }

  // The managed-app list, parsed only where an app changed since the last one (AppListReader.ts).
  const managedList = makeAppListReader()
  const readManagedBytes = appAnswer(managedList.read)
  const readManaged = (answer: Answer) => answer.bytes === undefined ? decodeApps(answer.text) : readManagedBytes(answer.bytes)
  const listRequest = HttpClientRequest.get("/v2/apps", { urlParams: { ...embeds, label: "MDEPLOY_MANAGED==true" } })
  const listApps = call(listRequest, true).pipe(
    Effect.flatMap(decodeAnswer(readManaged, listRequest)),
    Effect.withSpan("MarathonClient.listApps")
  )

  const listAppsById = Effect.fn("MarathonClient.listAppsById")(function*(fragment: string) {
    return yield* fetchApps(HttpClientRequest.get("/v2/apps", { urlParams: { ...embeds, id: fragment } }))
  })

  const getApp = Effect.fn("MarathonClient.getApp")(function*(appId: string) {
    yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": appId })
    const request = HttpClientRequest.get(appPath(appId), { urlParams: { embed: "app.tasks" } })
    return yield* call(request).pipe(Effect.flatMap(decode(decodeApp, request)))
  })

  const createApp = Effect.fn("MarathonClient.createApp")(function*(definition: AppDefinition) {
    yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": String(definition["id"]) })
    return yield* call(HttpClientRequest.post("/v2/apps").pipe(HttpClientRequest.bodyJsonUnsafe(definition))).pipe(
      Effect.as<CreateResult>("Created"),
      Effect.catchReason("MarathonError", "AlreadyExists", () => Effect.succeed<CreateResult>("AlreadyExists"))
    )
  })

  const scaleApp = Effect.fn("MarathonClient.scaleApp")(function*(appId: string, instances: number) {
    yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": appId, "mdeploy.instances": instances })
    const request = HttpClientRequest.patch(appPath(appId), { urlParams: { force: "true" } }).pipe(
      HttpClientRequest.bodyJsonUnsafe({ instances })
    )
    return yield* call(request).pipe(Effect.flatMap(decode(decodeDeploymentResult, request)))
  })

  const deleteApp = Effect.fn("MarathonClient.deleteApp")(function*(appId: string) {
    yield* Effect.annotateCurrentSpan({ "mdeploy.app_id": appId })
    return yield* call(HttpClientRequest.delete(appPath(appId), { urlParams: { force: "true" } })).pipe(
      Effect.as<DeleteResult>("Deleted"),
      Effect.catchReason("MarathonError", "AppNotFound", () => Effect.succeed<DeleteResult>("AlreadyGone"))
    )
  })

  const killTasks = Effect.fn("MarathonClient.killTasks")(function*(taskIds: ReadonlyArray<string>) {
    yield* Effect.annotateCurrentSpan({ "mdeploy.task_count": taskIds.length })
    if (taskIds.length === 0) return
    const request = HttpClientRequest.post("/v2/tasks/delete", { urlParams: { scale: "true", force: "true" } }).pipe(
      HttpClientRequest.bodyJsonUnsafe({ ids: taskIds })
    )
    // Marathon ignores unknown ids; a 404 "Path … does not exist" (the app has no tasks left)
    // and a 422 "is not valid" (PaaSTA #172, a double kill-and-scale) both mean already gone.
    yield* call(request).pipe(
      Effect.asVoid,
      Effect.catchReason("MarathonError", "AppNotFound", () => Effect.void),
      Effect.catchReason(
        "MarathonError",
        "Rejected",
        (reason) =>
          reason.status === 422 && /not valid/i.test(reason.message) ? Effect.void : Effect.fail(
            new MarathonError({ reason, method: request.method, path: request.url })
          )
      )
    )
  })

  const listDeployments = Effect.gen(function*() {
    const request = HttpClientRequest.get("/v2/deployments")
    return yield* call(request).pipe(Effect.flatMap(decode(decodeDeploymentList, request)))
  }).pipe(Effect.withSpan("MarathonClient.listDeployments"))

  return MarathonClient.of({ listApps, listAppsById, getApp, createApp, scaleApp, deleteApp, killTasks, listDeployments })
})

/** Each retry becomes an event on the span of the client call that retries. */
const recordRetry = (attempt: number, error: MarathonError) =>
  Effect.gen(function*() {
    const span = yield* currentSpan
    if (span === undefined) return
    span.event("marathon.retry", yield* Clock.currentTimeNanos, {
      "mdeploy.retry.attempt": attempt,
      "error.type": error.reason._tag,
      "error.message": error.message
    })
  })
