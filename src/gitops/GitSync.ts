// One sync of one GitSource (design.md §12): ls-remote first; the cache clone is fetched only when
// the commit is new to it; every document of the revision is parsed and validated with the parser
// `apply` uses before anything is written (one invalid document: nothing is written, the previous
// revision's specs stay); then the changed specs are written, each a compare-and-swap on what was
// listed, and the prune SyncPlan allows is carried out, each delete guarded by the revision seen.
// Everything in the repository is untrusted input: files are read only as git lists them (regular
// files, at most 1 MiB each), and nothing of it is executed.
import { Clock, DateTime, Effect, Fiber, Option, Result } from "effect"
import type { GitSourceStatus, InvalidDocument, SyncRequest } from "../domain/GitSource.ts"
import { intervalMillis, revisionText } from "../domain/GitSource.ts"
import type { ServiceInstance } from "../domain/ServiceInstance.ts"
import type { InputProblem, ManifestCheck, ManifestDocument } from "../cli/input/parseManifests.ts"
import { duplicateNames, formatProblem, parseResources } from "../cli/input/parseManifests.ts"
import { maxManifestBytes } from "../cli/input/readManifests.ts"
import type { StoredGitSource } from "../store/GitSourceStore.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import { SpecStore } from "../store/SpecStore.ts"
import type { Fence } from "../store/StatusStore.ts"
import type { GitCall } from "./Git.ts"
import { authEnvironment, GitError, refName, remoteCommit } from "./Git.ts"
import { cacheDirOf, fetchTree, readBlobs } from "./GitCache.ts"
import type { CachedTree, Revision, TreeFile } from "./GitCache.ts"
import { convertPaasta, paastaFiles } from "./PaastaRevision.ts"
import type { PaastaOptions } from "./PaastaRevision.ts"
import { conflictMessage, planSync } from "./SyncPlan.ts"
import type { Attempt } from "./SyncStatus.ts"
import { nextStatus } from "./SyncStatus.ts"

export interface SyncContext {
  /** Directory of the cache clones. */
  readonly cacheRoot: string
  /** The controller's environment, where auth and webhook secrets are looked up. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Extra rules for every instance (the controller's Marathon field policy). */
  readonly check?: ManifestCheck
  /** Per source, the files of its last sync parsed, by blob id and path (see readRevision). */
  readonly parsed: Map<string, Map<string, ParsedFile>>
  /** The specs the last sync listed: unchanged ones are not decoded again (SpecStore.list's `reuse`). */
  readonly stored: Map<string, StoredInstance>
  /** Comparisons of documents with stored specs already made (SyncPlan's memo). */
  readonly compared: WeakMap<object, WeakMap<object, boolean>>
  /** Per source, the revision its cache clone last fetched and that revision's file list under `path`. */
  readonly checkouts: Map<string, CachedTree>
}

export const makeSyncContext = (options: Pick<SyncContext, "cacheRoot" | "env" | "check">): SyncContext => ({
  ...options,
  parsed: new Map(),
  stored: new Map(),
  compared: new WeakMap(),
  checkouts: new Map()
})

/** Deletes in flight at once. */
const writeConcurrency = 16
export const defaultGitTimeoutMs = 60_000

export interface ParsedFile {
  readonly documents: ReadonlyArray<ManifestDocument>
  readonly problems: ReadonlyArray<InputProblem>
}

const tooBig = (file: TreeFile): ParsedFile => ({
  documents: [],
  problems: [{ file: file.path, line: 1, col: 1, path: "", message: "file is over the 1 MiB limit" }]
})

const parseFile = (file: TreeFile, text: string, check: ManifestCheck | undefined): ParsedFile => {
  const parsed = parseResources(file.path, text, check)
  return Result.isFailure(parsed) ? { documents: [], problems: parsed.failure } : { documents: parsed.success.instances, problems: [] }
}

/**
 * Parses every manifest of the revision; all problems, or all documents. A file whose blob (and
 * path) the previous sync of this source parsed is not read or parsed again: a commit that touches
 * one file of thousands reads and parses one file.
 */
const readRevision = Effect.fnUntraced(
  function*(context: SyncContext, source: string, dir: string, files: ReadonlyArray<TreeFile>, call: GitCall) {
    const previous = context.parsed.get(source) ?? new Map<string, ParsedFile>()
    const keyOf = (file: TreeFile) => `${file.blob}:${file.path}`
    const wanted = [
      ...new Set(files.filter((file) => !previous.has(keyOf(file)) && file.size <= maxManifestBytes).map((file) => file.blob))
    ]
    const contents = yield* readBlobs(dir, wanted, call)
    const current = new Map<string, ParsedFile>()
    const problems: Array<InputProblem> = []
    const documents: Array<ManifestDocument> = []
    for (const file of files) {
      const key = keyOf(file)
      const parsed = previous.get(key) ??
        (file.size > maxManifestBytes ? tooBig(file) : parseFile(file, contents.get(file.blob) ?? "", context.check))
      current.set(key, parsed)
      problems.push(...parsed.problems)
      documents.push(...parsed.documents)
    }
    context.parsed.set(source, current)
    problems.push(...duplicateNames(documents))
    return { problems, documents }
  }
)

/** A soa-configs revision (format paasta): reads only the files the converter needs, converts them. */
const readPaastaRevision = Effect.fnUntraced(
  function*(dir: string, files: ReadonlyArray<TreeFile>, path: string, options: PaastaOptions, call: GitCall) {
    const needed = paastaFiles(files, path, options.cluster)
    const tooLarge = needed.filter((file) => file.size > maxManifestBytes)
    if (tooLarge.length > 0) {
      return { documents: [], problems: tooLarge.map((file) => tooBig(file).problems[0]!), keep: [], warnings: [] }
    }
    const texts = yield* readBlobs(dir, [...new Set(needed.map((file) => file.blob))], call)
    return convertPaasta(needed, texts, path, options)
  }
)

export const syncSource = Effect.fn("GitOps.sync")(function*(
  context: SyncContext,
  source: StoredGitSource,
  previous: GitSourceStatus | undefined,
  request: SyncRequest | undefined,
  fences: ReadonlyArray<Fence> = []
) {
  const specs = yield* SpecStore
  const started = yield* Clock.currentTimeMillis
  const startedAt = DateTime.formatIso(yield* DateTime.now)
  const name = source.metadata.name
  const spec = source.spec
  const timeoutMs = intervalMillis(spec.timeout, defaultGitTimeoutMs)
  const base = { generation: source.metadata.generation, startedAt, written: 0, unchanged: 0, pruned: 0, handledRequest: request?.id }
  const finish = (attempt: Omit<Attempt, "finishedAt" | "durationMs" | "startedAt" | "generation">) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return nextStatus(previous, { ...base, ...attempt, finishedAt: DateTime.formatIso(yield* DateTime.now), durationMs: now - started })
    })

  const env = authEnvironment(spec.auth, context.env)
  if (typeof env === "string") return yield* finish({ result: "FetchFailed", message: env, written: 0, unchanged: 0, pruned: 0 })
  const call = { timeoutMs, env }
  const path = spec.path ?? ""

  // The stored specs are read while git works: the writes are compare-and-swaps on what this read,
  // so a spec changed meanwhile only fails its write (and the sync is retried), never lost.
  const listing = yield* Effect.forkChild(Effect.result(
    specs.list({ reuse: context.stored }).pipe(
      Effect.tap((listed) =>
        Effect.sync(() => {
          context.stored.clear()
          for (const item of listed.items) context.stored.set(item.metadata.name, item)
        })
      )
    )
  ))
  const fetched = yield* Effect.result(
    Effect.gen(function*() {
      // A sync request (a webhook, `mdeploy gitops sync`) says the remote moved: fetch at once and
      // let the fetch resolve the ref. A poll asks ls-remote first, so an unchanged remote costs
      // that one call.
      const asked = request !== undefined && refName(spec.ref) !== undefined
      const commit = asked ? undefined : yield* remoteCommit(spec.url, spec.ref, call)
      const dir = cacheDirOf(context.cacheRoot, name, spec.url)
      const { revision, files } = yield* fetchTree(dir, spec.url, spec.ref, commit, path, context.checkouts.get(dir), call)
      context.checkouts.set(dir, { revision, path, files })
      const { problems, documents, keep, warnings } = spec.format === "paasta" && spec.paasta !== undefined
        ? yield* readPaastaRevision(dir, files, path, { ...spec.paasta, check: context.check }, call)
        : { ...(yield* readRevision(context, name, dir, files, call)), keep: [], warnings: [] }
      const desired = documents.map((entry) => entry.document)
      return { revision, documents: desired, problems, keep, warnings }
    }).pipe(Effect.catchDefect((defect) => Effect.fail(new GitError({ operation: "read", message: String(defect) }))))
  )
  if (Result.isFailure(fetched)) {
    const error = fetched.failure
    return yield* finish({ result: "FetchFailed", message: `${error.operation}: ${error.message}`, written: 0, unchanged: 0, pruned: 0 })
  }
  const revision: Revision = fetched.success.revision
  const problems = fetched.success.problems
  if (problems.length > 0) {
    const first = problems[0]!
    const firstInvalid: InvalidDocument = { file: first.file, line: first.line, col: first.col, path: first.path, message: first.message }
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ""
    return yield* finish({
      result: "Invalid",
      message: `${formatProblem(first)}${more}; nothing from this revision was written`,
      revision,
      firstInvalid,
      written: 0,
      unchanged: 0,
      pruned: 0
    })
  }

  const outcome = yield* Effect.result(Effect.gen(function*() {
    const listed = yield* Fiber.join(listing).pipe(
      Effect.flatMap((result) => Result.isFailure(result) ? Effect.fail(result.failure) : Effect.succeed(result.success))
    )
    const plan = planSync({
      source: name,
      desired: fetched.success.documents,
      stored: listed.items,
      prune: spec.prune !== false,
      massPruneApproved: request?.approveMassPruneOf !== undefined && request.approveMassPruneOf === revision.commit,
      memo: context.compared,
      revision: revisionText(revision.commit, revision.subject),
      keep: fetched.success.keep
    })
    // Many specs to a transaction; a spec that moved meanwhile fails alone, and fails the sync.
    const written = yield* specs.applyMany(plan.writes.map(({ document, current }) => ({
      document,
      options: { current: Option.fromUndefinedOr(current), expectedResourceVersion: current?.metadata.resourceVersion ?? "0", fences }
    })))
    const refused = written.find(Result.isFailure)
    if (refused !== undefined) return yield* Effect.fail(refused.failure)
    const seen = new Map(listed.items.map((item) => [item.metadata.name as string, item.metadata.resourceVersion]))
    yield* Effect.forEach(
      plan.prune,
      (pruned) => specs.remove(pruned as ServiceInstance["metadata"]["name"], { expectedResourceVersion: seen.get(pruned), fences }),
      { concurrency: writeConcurrency, discard: true }
    )
    return plan
  }))
  if (Result.isFailure(outcome)) {
    const error = outcome.failure
    const message = "oneLine" in error ? error.oneLine : error.message
    return yield* finish({
      result: "WriteFailed",
      message: `${message}; the next attempt retries`,
      revision,
      written: 0,
      unchanged: 0,
      pruned: 0
    })
  }
  const plan = outcome.success
  const warnings = fetched.success.warnings
  const warned = warnings.length === 0 ? "" : `; ${warnings.length} not converted (${warnings[0]}${warnings.length > 1 ? ", …" : ""})`
  const conflicts = plan.conflicts.map(conflictMessage)
  const counts = { written: plan.writes.length, unchanged: plan.unchanged.length, pruned: plan.prune.length }
  const newRevision = previous?.lastAppliedRevision !== revision.commit
  const result = plan.pruneRefused !== undefined
    ? "PruneRefused" as const
    : conflicts.length > 0
    ? "Conflicts" as const
    : counts.written + counts.pruned > 0 || newRevision
    ? "Synced" as const
    : "Unchanged" as const
  const message = plan.pruneRefused ??
    (conflicts.length > 0
      ? `${conflicts.length} conflict(s): ${conflicts.slice(0, 3).join("; ")}`
      : `${revision.commit.slice(0, 12)}: ${counts.written} written, ${counts.unchanged} unchanged, ${counts.pruned} pruned${warned}`)
  return yield* finish({
    result,
    message,
    revision,
    ...counts,
    inventory: plan.inventory,
    conflicts,
    pruneRefused: plan.pruneRefused !== undefined
  })
})
