// The one error of the Marathon client, with a `reason` per kind of failure (style.md §3.4).
// Only Unavailable (5xx, connection failures, timeouts, unreadable answers, "too many
// deployments") is retryable; the rest are answers that a retry would only repeat.
import { Schema } from "effect"

/** 409: the app is locked by a running deployment (PaaSTA retried next run; so do we). */
export class DeploymentLocked extends Schema.TaggedError<DeploymentLocked>()("DeploymentLocked", {
  message: Schema.String,
  deployments: Schema.Array(Schema.String)
}) {}

/** 404 on an app. */
export class AppNotFound extends Schema.TaggedError<AppNotFound>()("AppNotFound", {
  message: Schema.String
}) {}

/** 409 "An app with id [...] already exists". */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  message: Schema.String
}) {}

/** No usable answer: 5xx, connection refused, timeout, unparseable body. Retryable. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  message: Schema.String,
  status: Schema.optional(Schema.Int)
}) {}

/** Any other 4xx: the request itself is wrong (validation, unknown route, bad task id). */
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  message: Schema.String,
  status: Schema.Int,
  details: Schema.optional(Schema.Unknown)
}) {}

/** 401/403: credentials missing, wrong, or not allowed. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String,
  status: Schema.Int
}) {}

export const MarathonErrorReason = Schema.Union([DeploymentLocked, AppNotFound, AlreadyExists, Unavailable, Rejected, Unauthorized])
export type MarathonErrorReason = typeof MarathonErrorReason.Type

export class MarathonError extends Schema.TaggedError<MarathonError>()("MarathonError", {
  reason: MarathonErrorReason,
  method: Schema.String,
  path: Schema.String
}) {
  get retryable(): boolean {
    return this.reason._tag === "Unavailable"
  }

  override get message(): string {
    return `${this.method} ${this.path}: ${this.reason._tag}: ${this.reason.message}`
  }
}
