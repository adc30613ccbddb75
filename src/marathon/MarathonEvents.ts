// Marathon's event bus (`GET /v2/events`, Server-Sent Events) as a stream of "these apps or
// deployments changed" notices, so the controller follows a task turning healthy within
// milliseconds instead of at the next resync. Reconnects forever with client-go's reflector curve
// (800 ms doubling to 30 s, back to the start after 2 minutes of health) across the Marathon URLs,
// and says `Reconnected` after every gap so the caller can resync what it may have missed.
// Marathon writes a heartbeat (a bare line) every 10 s, so a connection that stays open without a
// single byte for `silenceTimeout` (30 s) is dead somewhere on the way (a half-open TCP
// connection, a proxy that stopped forwarding) and is dropped and reopened like a broken one:
// without this, the events would only come back with the next resync, minutes later.
import { Data, Duration, Effect, Predicate, Random, Redacted, Stream } from "effect"
import * as Sse from "effect/encoding/Sse"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import type { EventStreamReconnectReason } from "../telemetry/ControllerMetrics.ts"
import { recordEventStreamReconnect } from "../telemetry/ControllerMetrics.ts"

export type MarathonEvent =
  | {
    readonly _tag: "Changed"
    readonly eventType: string
    /** App ids named anywhere in the event (appId, runSpecId, plan step apps, appDefinition.id). */
    readonly appIds: ReadonlyArray<string>
    /** Deployment ids of deployment events, for callers that know which apps a deployment touches. */
    readonly deploymentIds: ReadonlyArray<string>
  }
  | { readonly _tag: "Reconnected"; readonly url: string }

export interface MarathonEventsConfig {
  readonly urls: ReadonlyArray<string>
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Drop and reopen a connection that sent no byte for this long (default 30 s: three heartbeats). */
  readonly silenceTimeout?: Duration.Input | undefined
}

export const defaultSilenceTimeout = Duration.seconds(30)

/** An open connection sent nothing, not even a heartbeat, for the silence timeout. */
class StreamSilent extends Data.TaggedError("StreamSilent")<{ readonly url: string }> {}

/**
 * The event types that can change what a reconcile would decide. Marathon 1.4 and later also send
 * `instance_changed_event` and `instance_health_changed_event`, one beside each task status or
 * health change these already report: following them too doubled the events a rollout sends (about
 * 30,000 while 1,000 apps are created) for no change a reconcile would see.
 */
export const followedEventTypes = [
  "status_update_event",
  "health_status_changed_event",
  "failed_health_check_event",
  "unhealthy_task_kill_event",
  "unhealthy_instance_kill_event",
  "deployment_success",
  "deployment_failed",
  "deployment_info",
  "deployment_step_success",
  "deployment_step_failure",
  "app_terminated_event",
  "api_post_event"
] as const

/** Pure: every app id and deployment id an event names, wherever Marathon put it. */
export const idsOf = (eventType: string, data: unknown): { appIds: Array<string>; deploymentIds: Array<string> } => {
  const appIds = new Set<string>()
  const deploymentIds = new Set<string>()
  const visit = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key)
    } else if (Predicate.isObject(value)) {
      for (const [field, inner] of Object.entries(value)) visit(inner, field)
    } else if (typeof value === "string" && key !== undefined) {
      if (key === "appId" || key === "runSpecId" || key === "app") appIds.add(value)
    }
  }
  visit(data, undefined)
  if (Predicate.isObject(data)) {
    const definition = (data as { appDefinition?: { id?: unknown } }).appDefinition
    if (typeof definition?.id === "string") appIds.add(definition.id)
    if (eventType.startsWith("deployment")) {
      const id = (data as { id?: unknown; plan?: { id?: unknown } }).plan?.id ?? (data as { id?: unknown }).id
      if (typeof id === "string") deploymentIds.add(id)
    }
  }
  return { appIds: [...appIds], deploymentIds: [...deploymentIds] }
}

/** Pure: one SSE event as zero or one MarathonEvent (unparseable data is dropped). */
export const toMarathonEvents = (event: { readonly event: string; readonly data: string }): ReadonlyArray<MarathonEvent> => {
  let data: unknown
  try {
    data = JSON.parse(event.data)
  } catch {
    return []
  }
  const eventType = event.event !== "message" && event.event !== "" ? event.event : String((data as { eventType?: unknown }).eventType)
  return [{ _tag: "Changed", eventType, ...idsOf(eventType, data) }]
}

/** client-go's reflector backoff: 800 ms doubling to 30 s, jittered. */
export const eventsReconnectDelay = (failures: number, jitter: number): Duration.Duration =>
  Duration.millis(Math.min(800 * 2 ** Math.max(failures - 1, 0), 30_000) * (0.75 + 0.5 * jitter))

const healthyAfterMs = 120_000

/** One connection to one URL; ends when the stream breaks. */
const connect = (config: MarathonEventsConfig, url: string) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    let request = HttpClientRequest.get(`${url.replace(/\/+$/, "")}/v2/events`, {
      urlParams: followedEventTypes.map((type) => ["event_type", type] as const)
    }).pipe(HttpClientRequest.accept("text/event-stream"))
    if (config.username !== undefined) {
      request = HttpClientRequest.basicAuth(request, config.username, config.password ?? Redacted.make(""))
    }
    const response = yield* http.execute(request).pipe(Effect.flatMap(HttpClientResponse.filterStatusOk))
    const reconnected: MarathonEvent = { _tag: "Reconnected", url }
    // Timed on the raw bytes, so heartbeats (which decode to no event) count as signs of life.
    const bytes = response.stream.pipe(Stream.timeoutOrElse({
      duration: config.silenceTimeout ?? defaultSilenceTimeout,
      orElse: () => Stream.fail(new StreamSilent({ url }))
    }))
    return Stream.concat(Stream.make(reconnected), decodeEvents(bytes))
  })

const decodeEvents = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>) =>
  bytes.pipe(
    Stream.decodeText,
    Stream.pipeThroughChannel(Sse.decode()),
    Stream.flatMap((event) => Stream.fromIterable(toMarathonEvents(event)))
  )

/** Follows the event bus forever; never fails. */
export const marathonEvents = (config: MarathonEventsConfig): Stream.Stream<MarathonEvent, never, HttpClient.HttpClient> =>
  Stream.unwrap(Effect.gen(function*() {
    let failures = 0
    let attempt = 0
    const session = Effect.gen(function*() {
      const url = config.urls[attempt++ % Math.max(config.urls.length, 1)] ?? "http://127.0.0.1:8080"
      const connectedAt = performance.now()
      const events = yield* connect(config, url)
      let reason: EventStreamReconnectReason = "closed"
      const lasting = events.pipe(
        Stream.catch((error) => {
          reason = error._tag === "StreamSilent" ? "silence" : "error"
          return Stream.empty
        }),
        Stream.ensuring(Effect.suspend(() => {
          failures = performance.now() - connectedAt > healthyAfterMs ? 1 : failures + 1
          return recordEventStreamReconnect(reason)
        }))
      )
      return lasting
    })
    const pause = Effect.gen(function*() {
      yield* Effect.sleep(eventsReconnectDelay(Math.max(failures, 1), yield* Random.next))
    })
    return Stream.unwrap(session.pipe(Effect.catch(() =>
      Effect.sync(() => {
        failures++
        return Stream.empty
      }).pipe(Effect.tap(() => recordEventStreamReconnect("connect_failed")))
    ))).pipe(
      Stream.concat(Stream.fromEffectDrain(pause)),
      Stream.forever
    )
  }))
