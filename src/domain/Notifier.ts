// The Notifier resource (design.md §15, CONTRACT): where the leader tells people about rollouts,
// stalls, refused clean-ups and failed syncs. Like GitSource it stores no secret: the endpoint may
// come from an environment variable of the controller (`urlEnv`) and the HMAC key always does
// (`secretEnv`), so `get`/`describe` and etcd never hold them.
import { Schema } from "effect"
import { LabelKey, LabelValue } from "./Labels.ts"
import { ResourceMetadata } from "./ServiceInstance.ts"

export const notifierKind = "Notifier"

/** The event reasons a notifier can be told of: the ones a person acts on. */
export const NotifiableReason = Schema.Literals(["RolloutSucceeded", "RolloutFailed", "Stalled", "CleanupRefused", "SyncFailed"])
export type NotifiableReason = typeof NotifiableReason.Type
export const notifiableReasons: ReadonlyArray<NotifiableReason> = NotifiableReason.literals

export const NotifierName = Schema.String.check(
  Schema.isMaxLength(63, { message: "must be at most 63 characters" }),
  Schema.isPattern(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: "must be lowercase [a-z0-9-], starting and ending with [a-z0-9]" })
).annotate({ title: "NotifierName", examples: ["payments-slack"] })

const EnvName = Schema.String.check(Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" }))

/** An http(s) URL with a host: anything else (file:, javascript:, a bare path) is refused at apply. */
export const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text)
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== ""
  } catch {
    return false
  }
}

export const NotifierUrl = Schema.String.check(
  Schema.makeFilter((text: string) => isHttpUrl(text) ? undefined : "must be an http:// or https:// URL")
)

const LabelSelector = Schema.Record(LabelKey, LabelValue).annotate({
  description: "instances whose labels include all of these; empty or absent = all"
})

export const NotifierSpec = Schema.Struct({
  url: Schema.optionalKey(NotifierUrl.annotate({ description: "the endpoint, written here (shown redacted when it has credentials)" })),
  urlEnv: Schema.optionalKey(EnvName.annotate({ description: "the endpoint, from this variable of the controller's environment" })),
  format: Schema.Literals(["slack", "generic"]).annotate({ description: "slack: {text, blocks}; generic: the event as JSON" }),
  events: Schema.Array(NotifiableReason).check(Schema.isMinLength(1, { message: "must name at least one event" })),
  selector: Schema.optionalKey(LabelSelector),
  secretEnv: Schema.optionalKey(EnvName.annotate({ description: "HMAC-SHA256 key: X-Signature: sha256=<hex of the body>" }))
}).check(
  Schema.makeFilter((spec) =>
    (spec.url === undefined) === (spec.urlEnv === undefined) ? { path: ["url"], issue: "give exactly one of url and urlEnv" } : undefined
  )
)
export type NotifierSpec = typeof NotifierSpec.Type

export const Notifier = Schema.Struct({
  apiVersion: Schema.Literal("mdeploy.dev/v1"),
  kind: Schema.Literal(notifierKind),
  metadata: Schema.Struct({ ...ResourceMetadata.fields, name: NotifierName }),
  spec: NotifierSpec
}).annotate({ title: "Notifier", description: "Sends chosen events of matching instances to a webhook" })
export type Notifier = typeof Notifier.Type

/** The URL as it may be shown: user and password replaced, so a pasted token never reaches a terminal. */
export const redactedUrl = (text: string): string => {
  try {
    const url = new URL(text)
    if (url.username === "" && url.password === "") return text
    url.username = "REDACTED"
    url.password = ""
    return url.toString()
  } catch {
    return "(invalid URL)"
  }
}

/** Where the endpoint comes from, as `get` and `describe` show it: never an environment value. */
export const endpointOf = (spec: NotifierSpec): string => spec.urlEnv !== undefined ? `$${spec.urlEnv}` : redactedUrl(spec.url ?? "")
