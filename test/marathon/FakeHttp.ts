import { Effect, Layer, Ref } from "effect"
import { HttpClient, HttpClientError, HttpClientResponse } from "effect/http"

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/** What a handler answers: a response, a transport failure, or no answer at all. */
export type FakeAnswer =
  | { readonly status: number; readonly body?: unknown; readonly text?: string }
  | "transport-error"
  | "hang"

export const fakeHttp = (handler: (request: SeenRequest) => FakeAnswer) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<SeenRequest>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
        const entry: SeenRequest = { method: request.method, url: url.toString(), body, headers: { ...request.headers } }
        yield* Ref.update(seen, (all) => [...all, entry])
        const answer = handler(entry)
        if (answer === "hang") return yield* Effect.never
        if (answer === "transport-error") {
          return yield* new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, description: "connection refused" })
          })
        }
        const text = answer.text ?? (answer.body === undefined ? "" : JSON.stringify(answer.body))
        return HttpClientResponse.fromWeb(
          request,
          new Response(answer.status === 204 ? null : text, {
            status: answer.status,
            headers: { "content-type": answer.text === undefined ? "application/json" : "text/plain" }
          })
        )
      })
    )
    return { client, seen }
  })

export const fakeHttpLayer = (handler: (request: SeenRequest) => FakeAnswer) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(fakeHttp(handler), ({ client }) => client))
