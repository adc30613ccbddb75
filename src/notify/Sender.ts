// One notification onto the wire (design.md §15): POST of the exact payload bytes, each call cut
// off after 15 s, then up to 4 retries with exponential backoff from 2 s, capped at 30 s (2, 4, 8,
// 16 s: a receiver gets about half a minute to come back). Only what a retry can fix is retried —
// no answer, a transport error, 408, 429 and 5xx; any other answer is final. Never throws: the
// result says how it ended and after how many attempts.
import { Data, Duration, Effect, Schedule } from "effect"
import type { HttpClient } from "effect/http"
import { HttpClientRequest } from "effect/http"

export interface SendPolicy {
  readonly retries: number
  readonly firstBackoff: Duration.Input
  readonly maxBackoff: Duration.Input
  readonly callTimeout: Duration.Input
}

export const defaultSendPolicy: SendPolicy = { retries: 4, firstBackoff: "2 seconds", maxBackoff: "30 seconds", callTimeout: "15 seconds" }

/** One failed attempt; `retryable` says whether another could succeed. */
export class AttemptFailed extends Data.TaggedError("AttemptFailed")<{ readonly message: string; readonly retryable: boolean }> {}

export type SendResult =
  | { readonly _tag: "Delivered"; readonly attempts: number; readonly status: number }
  | { readonly _tag: "Failed"; readonly attempts: number; readonly message: string }

const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500

/** The backoff between attempts: 2 s doubling, never more than 30 s, `retries` times at most. */
export const retrySchedule = (policy: SendPolicy) =>
  Schedule.min([Schedule.exponential(policy.firstBackoff), Schedule.spaced(policy.maxBackoff)]).pipe(
    Schedule.upTo({ times: policy.retries }),
    Schedule.setInputType<AttemptFailed>(),
    Schedule.while(({ input }) => input.retryable)
  )

export const send = (
  client: HttpClient.HttpClient,
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  policy: SendPolicy = defaultSendPolicy
): Effect.Effect<SendResult> =>
  Effect.gen(function*() {
    let attempts = 0
    const timeoutText = `no answer within ${Duration.format(Duration.fromInputUnsafe(policy.callTimeout))}`
    const once = Effect.gen(function*() {
      attempts++
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeaders(headers),
        HttpClientRequest.bodyText(body, "application/json")
      )
      const response = yield* client.execute(request).pipe(
        Effect.mapError((error) => new AttemptFailed({ message: error.message, retryable: true })),
        Effect.timeoutOrElse({
          duration: policy.callTimeout,
          orElse: () => Effect.fail(new AttemptFailed({ message: timeoutText, retryable: true }))
        })
      )
      if (response.status >= 200 && response.status < 300) return response.status
      return yield* new AttemptFailed({ message: `HTTP ${response.status}`, retryable: retryableStatus(response.status) })
    })
    return yield* once.pipe(
      Effect.retry(retrySchedule(policy)),
      Effect.map((status): SendResult => ({ _tag: "Delivered", attempts, status })),
      Effect.catch((error) => Effect.succeed<SendResult>({ _tag: "Failed", attempts, message: error.message }))
    )
  })
