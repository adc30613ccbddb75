// What a webhook delivery for one GitSource does (design.md §12), apart from HTTP: find the source,
// verify the signature with the secret its spec names (from the controller's environment, never
// from etcd), and write a sync request the leader picks up — on whichever replica received it.
// A delivery that is refused writes nothing.
import { DateTime, Effect, Option } from "effect"
import { randomUUID } from "node:crypto"
import { GitSourceStore } from "../store/GitSourceStore.ts"
import type { Headers } from "./WebhookSignature.ts"
import { verifySignature } from "./WebhookSignature.ts"

export type WebhookAnswer = { readonly status: 202 | 401 | 404 | 500; readonly message: string }

export const handleWebhook = Effect.fn("GitOps.webhook")(function*(
  name: string,
  headers: Headers,
  body: Uint8Array,
  env: Readonly<Record<string, string | undefined>>
) {
  const store = yield* GitSourceStore
  const found = yield* store.get(name).pipe(Effect.catchTag("CorruptSpecError", () => Effect.succeed(Option.none())))
  if (Option.isNone(found)) return { status: 404, message: `no gitsource ${name}` } satisfies WebhookAnswer
  const secretEnv = found.value.spec.webhook?.secretEnv
  // A source without a webhook secret takes no unauthenticated requests: 401, not an open door.
  const secret = secretEnv === undefined ? undefined : env[secretEnv]
  if (secret === undefined) {
    return { status: 401, message: `gitsource ${name} has no webhook secret configured on this controller` } satisfies WebhookAnswer
  }
  const verdict = verifySignature(headers, body, secret)
  if (!verdict.ok) return { status: 401, message: verdict.reason } satisfies WebhookAnswer
  const id = randomUUID()
  yield* store.request(name, { id, requestedAt: DateTime.formatIso(yield* DateTime.now), by: `webhook:${verdict.scheme}` })
  return { status: 202, message: `sync of ${name} requested (${id})` } satisfies WebhookAnswer
})
