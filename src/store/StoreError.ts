// Typed failures of the etcd store: one tagged error with a reason and `retryable`, whichever client
// failed. Each client maps its own failures to a reason (etcd3's exception classes in
// Etcd3Errors.ts, the JSON gateway's in GatewayTransport.ts); the wording of the one line the CLI
// prints is decided here, so both say the same. Loads no etcd client: read-only commands that never
// load etcd3 (gRPC) still fail with these errors.
import { Schema } from "effect"

export const StoreFailure = Schema.Literals([
  "Unavailable",
  "Timeout",
  "Unauthenticated",
  "PermissionDenied",
  "Compacted",
  "Closed",
  "Internal"
])
export type StoreFailure = typeof StoreFailure.Type

export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  reason: StoreFailure,
  endpoint: Schema.String,
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  /** Transient failures worth retrying with backoff; the rest need a person. */
  get retryable(): boolean {
    return this.reason === "Unavailable" || this.reason === "Timeout"
  }

  /** One line for the CLI: names the endpoint, never a stack trace. */
  get oneLine(): string {
    return `etcd ${this.endpoint}: ${this.operation}: ${this.message}`
  }
}

/** What went wrong in a TLS handshake, in the words of the flag that fixes it; undefined if not TLS. */
const tlsProblem = (error: unknown): string | undefined => {
  const text = error instanceof Error ? error.message : String(error)
  if (/alert (bad certificate|certificate required|unknown ca|certificate unknown)|SSL alert number (42|46|48|116)/i.test(text)) {
    return "etcd refused the TLS handshake: client certificate missing or not trusted (check --etcd-cert/--etcd-key)"
  }
  if (/Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text)) {
    return "etcd's TLS certificate does not name the endpoint's host (use a host or IP the certificate lists)"
  }
  const verify =
    /(unable to verify[^;.]*|self[- ]signed certificate[^;.]*|unable to get (local )?issuer certificate|certificate has expired)/i.exec(
      text
    )
  if (verify !== null) return `cannot verify etcd's TLS certificate: ${verify[0]} (check --etcd-ca)`
  if (/wrong version number|packet length too long|SSL routines/i.test(text)) {
    return "TLS handshake with etcd failed (is the endpoint's scheme, http or https, right?)"
  }
  return undefined
}

const describe = (reason: StoreFailure, error: unknown): string => {
  switch (reason) {
    case "Unavailable":
      return tlsProblem(error) ?? "cannot reach etcd (is it running, and is the endpoint right?)"
    case "Timeout":
      return "etcd did not answer in time"
    case "Unauthenticated":
      return "authentication failed or missing (check --etcd-user/--etcd-password)"
    case "PermissionDenied":
      return "permission denied by etcd"
    case "Compacted":
      return "the requested revision has been compacted"
    case "Closed":
      return "the etcd client is closed"
    case "Internal":
      return error instanceof Error ? error.message.split("\n")[0] ?? "unknown etcd error" : String(error)
  }
}

/** A StoreError for `error`, already classified as `reason`, worded as the CLI prints it. */
export const storeError = (reason: StoreFailure, endpoint: string, operation: string, error: unknown): StoreError =>
  new StoreError({ reason, endpoint, operation, message: describe(reason, error), cause: error })
