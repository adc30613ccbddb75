// The GitSource resource (design.md §12, CONTRACT): a git repository whose ServiceInstance
// manifests the controller's leader keeps in etcd. Credentials are never part of it: `auth` and
// `webhook` name environment variables or files of the controller, so nothing secret is stored.
import { Schema } from "effect"
import { ResourceMetadata } from "./ServiceInstance.ts"

export const gitSourceKind = "GitSource"

/** The annotation on every spec a source wrote: which source owns it. */
export const sourceAnnotation = "mdeploy.dev/source"

export const GitSourceName = Schema.String.check(
  Schema.isMaxLength(63, { message: "must be at most 63 characters" }),
  Schema.isPattern(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: "must be lowercase [a-z0-9-], starting and ending with [a-z0-9]" })
).annotate({ title: "GitSourceName", examples: ["prod-specs"] })
export type GitSourceName = typeof GitSourceName.Type

/** Git accepts `-`-prefixed arguments as options: every value handed to git is kept from looking like one. */
const notAnOption = Schema.isPattern(/^[^-\s]/, { message: "must not start with \"-\" or whitespace" })

const GitUrl = Schema.String.check(
  notAnOption,
  Schema.isPattern(/^(https:\/\/|http:\/\/|ssh:\/\/|file:\/\/|\/)/, {
    message: "must be an https://, http://, ssh://, file:// URL or an absolute path"
  }),
  Schema.isPattern(/^(?![a-z]+:\/\/[^/@]*:[^/@]*@)/, { message: "must not contain a password; name an environment variable in spec.auth" })
).annotate({ description: "https://, ssh://, file:// or an absolute path" })

const RefName = Schema.String.check(
  notAnOption,
  Schema.isPattern(/^[A-Za-z0-9._/-]+$/, { message: "must be a plain ref name of [A-Za-z0-9._/-]" }),
  Schema.isPattern(/^(?!.*\.\.)/, { message: "must not contain \"..\"" })
)

export const GitRef = Schema.Union([
  Schema.Struct({ branch: RefName }),
  Schema.Struct({ tag: RefName }),
  Schema.Struct({ commit: Schema.String.check(Schema.isPattern(/^[0-9a-f]{40}$/, { message: "must be a full 40-hex commit id" })) })
]).annotate({ description: "{branch: main} | {tag: v1.4.0} | {commit: <40-hex sha>}" })
export type GitRef = typeof GitRef.Type

const EnvName = Schema.String.check(Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" }))
const AbsoluteFile = Schema.String.check(Schema.isPattern(/^\//, { message: "must be an absolute path" }))

export const GitAuth = Schema.Union([
  Schema.Struct({ usernameEnv: Schema.optionalKey(EnvName), passwordEnv: EnvName }),
  Schema.Struct({ sshKeyFile: AbsoluteFile })
]).annotate({ description: "credentials from the controller's environment or files, never stored in etcd" })
export type GitAuth = typeof GitAuth.Type

/** A duration as written in specs: `30s`, `5m`, `1h`, `1500ms`. */
export const Interval = Schema.String.check(
  Schema.isPattern(/^[0-9]+(ms|s|m|h)$/, { message: "must be a duration such as 30s, 5m or 1h" })
)

export const GitSourceSpec = Schema.Struct({
  url: GitUrl,
  ref: Schema.optionalKey(GitRef),
  path: Schema.optionalKey(
    Schema.String.check(
      Schema.isPattern(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]*$/, { message: "must be a relative path inside the repository, without \"..\"" })
    ).annotate({ description: "directory in the repository (default: the root)" })
  ),
  format: Schema.optionalKey(
    Schema.Literals(["manifests", "paasta"]).annotate({
      description:
        "manifests: ServiceInstance YAML/JSON files, recursive; paasta: a soa-configs tree, converted as `mdeploy import paasta` does"
    })
  ),
  paasta: Schema.optionalKey(
    Schema.Struct({
      cluster: Schema.String.check(
        Schema.isPattern(/^[a-z0-9][a-z0-9_.-]{0,62}$/, { message: "must be a PaaSTA cluster name (marathon-<cluster>.yaml)" })
      ),
      dockerRegistry: Schema.optionalKey(Schema.String.annotate({ description: "registry prefixed to deployments.json images" }))
    }).annotate({ description: "format paasta: which cluster's marathon-<cluster>.yaml to read" })
  ),
  interval: Schema.optionalKey(Interval.annotate({ description: "poll period (±5% jitter), default 60s" })),
  timeout: Schema.optionalKey(Interval.annotate({ description: "deadline of each git call, default 60s" })),
  prune: Schema.optionalKey(Schema.Boolean.annotate({ description: "delete specs this source wrote and no longer has (default true)" })),
  suspend: Schema.optionalKey(Schema.Boolean),
  auth: Schema.optionalKey(GitAuth),
  webhook: Schema.optionalKey(Schema.Struct({ secretEnv: EnvName }))
}).check(Schema.makeFilter((spec) =>
  spec.format === "paasta" && spec.paasta === undefined
    ? { path: ["paasta"], issue: "format paasta needs paasta: {cluster: NAME}" }
    : spec.format !== "paasta" && spec.paasta !== undefined
    ? { path: ["paasta"], issue: "only with format: paasta" }
    : undefined
))
export type GitSourceSpec = typeof GitSourceSpec.Type

export const GitSource = Schema.Struct({
  apiVersion: Schema.Literal("mdeploy.dev/v1"),
  kind: Schema.Literal(gitSourceKind),
  metadata: Schema.Struct({ ...ResourceMetadata.fields, name: GitSourceName }),
  spec: GitSourceSpec
}).annotate({ title: "GitSource", description: "A git repository of ServiceInstance manifests kept in etcd by the controller" })
export type GitSource = typeof GitSource.Type

export const GitCondition = Schema.Struct({
  type: Schema.Literals(["Ready", "Reconciling", "Stalled"]),
  status: Schema.Literals(["True", "False", "Unknown"]),
  reason: Schema.String,
  message: Schema.String,
  lastTransitionTime: Schema.String
})
export type GitCondition = typeof GitCondition.Type

export const SyncResult = Schema.Literals(["Synced", "Unchanged", "Invalid", "Conflicts", "PruneRefused", "FetchFailed", "WriteFailed"])
export type SyncResult = typeof SyncResult.Type

export const SyncRecord = Schema.Struct({
  revision: Schema.optionalKey(Schema.String),
  subject: Schema.optionalKey(Schema.String),
  author: Schema.optionalKey(Schema.String),
  startedAt: Schema.String,
  durationMs: Schema.Number,
  written: Schema.Int,
  unchanged: Schema.Int,
  pruned: Schema.Int,
  result: SyncResult,
  message: Schema.optionalKey(Schema.String)
})
export type SyncRecord = typeof SyncRecord.Type

export const InvalidDocument = Schema.Struct({
  file: Schema.String,
  line: Schema.Int,
  col: Schema.Int,
  path: Schema.String,
  message: Schema.String
})
export type InvalidDocument = typeof InvalidDocument.Type

export const GitSourceStatus = Schema.Struct({
  observedGeneration: Schema.optionalKey(Schema.Int),
  lastFetchedRevision: Schema.optionalKey(Schema.String),
  lastAppliedRevision: Schema.optionalKey(Schema.String),
  lastAttemptedRevision: Schema.optionalKey(Schema.String),
  /** The revision whose mass prune was refused; `sync --allow-mass-prune` approves exactly it. */
  pruneRefusedRevision: Schema.optionalKey(Schema.String),
  inventory: Schema.Array(Schema.String),
  conflicts: Schema.optionalKey(Schema.Array(Schema.String)),
  firstInvalid: Schema.optionalKey(InvalidDocument),
  conditions: Schema.Array(GitCondition),
  history: Schema.Array(SyncRecord),
  /** Consecutive failed syncs: the backoff's exponent. */
  failures: Schema.optionalKey(Schema.Int),
  nextSyncAt: Schema.optionalKey(Schema.String),
  /** The id of the newest sync request this status answers (for `sync --wait`). */
  handledRequest: Schema.optionalKey(Schema.String)
})
export type GitSourceStatus = typeof GitSourceStatus.Type

/** A sync request (`<p>/gitsource-requests/<name>`), written by the CLI or a webhook on any replica. */
export const SyncRequest = Schema.Struct({
  id: Schema.String,
  requestedAt: Schema.String,
  by: Schema.String,
  approveMassPruneOf: Schema.optionalKey(Schema.String)
})
export type SyncRequest = typeof SyncRequest.Type

export const historyLimit = 10

/** Milliseconds of an Interval string. */
export const intervalMillis = (text: string | undefined, fallback: number): number => {
  const match = text === undefined ? null : /^([0-9]+)(ms|s|m|h)$/.exec(text)
  if (match === null) return fallback
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"]
  return Number(match[1]) * factor
}
