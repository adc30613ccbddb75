// `mdeploy apply -f PATH...`: create or update specs from manifests. Validation is all-or-nothing
// per invocation: when any document of any file is invalid, nothing is written. Each write is a
// compare-and-swap; a document's metadata.resourceVersion, when present, is the expected revision.
// What is written is the manifest merged with the stored spec (domain/LastApplied.ts): fields the
// rollout verbs set survive an apply that does not mention them.
// The operator's Marathon field policy is checked here too, so a refused spec is never stored.
// GitSource documents in the same files are stored beside the instances (design.md §12); a spec a
// GitSource owns (annotation mdeploy.dev/source) is a conflict (exit 3) unless --force-conflicts,
// and even then keeps its owner, so the source puts its own version back on its next sync.
// Notifier documents (design.md §15) are stored the same way as GitSources.
import { Console, Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import { sourceAnnotation } from "../../domain/GitSource.ts"
import { marathonFieldViolations } from "../../domain/MarathonFieldPolicy.ts"
import type { ServiceInstance } from "../../domain/ServiceInstance.ts"
import { GitSourceStore } from "../../store/GitSourceStore.ts"
import { NotifierStore } from "../../store/NotifierStore.ts"
import type { ApplyOutcome, CorruptSpecError, StoredInstance } from "../../store/SpecStore.ts"
import { SpecConflictError, SpecStore } from "../../store/SpecStore.ts"
import type { StoreError } from "../../store/StoreError.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { actionAfterRetry } from "./apply/ActionAfterRetry.ts"
import { expectationOnRepeat } from "./apply/expectationOnRepeat.ts"
import { applyRepeatingUnanswered, unanswered, unansweredRepeats } from "./apply/repeatUnanswered.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { marathonFieldPolicyFlag, readMarathonFieldPolicy } from "../input/readFieldPolicy.ts"
import { readManifests } from "../input/readManifests.ts"
import { root } from "../Root.ts"
import { withStores } from "../Stores.ts"

/** The writes failed on an etcd that did not answer, not on an answer: worth the same apply again. */
const writesUnanswered = (written: Result.Result<unknown, StoreError>): boolean => Result.isFailure(written) && unanswered(written.failure)

/** Writes in flight at once: enough to hide etcd round trips, few enough to stay polite. */
const writeConcurrency = 16
/** Above this many documents, read the whole store once rather than each spec on its own. */
const snapshotThreshold = 20

export const filenameFlag = Flag.String("filename").pipe(
  Flag.withAlias("f"),
  Flag.withDescription("file, directory or - (stdin); repeatable"),
  Flag.atLeast(1)
)
export const recursiveFlag = Flag.Boolean("recursive").pipe(
  Flag.withAlias("R"),
  Flag.withDescription("read directories recursively"),
  Flag.withDefault(false)
)

export const apply = Command.make(
  "apply",
  {
    filename: filenameFlag,
    recursive: recursiveFlag,
    dryRun: Flag.Literals("dry-run", ["none", "client", "server"]).pipe(
      Flag.withDescription("client: validate only; server: also compare with etcd, writing nothing"),
      Flag.withDefault("none")
    ),
    forceConflicts: Flag.Boolean("force-conflicts").pipe(
      Flag.withDescription("ignore metadata.resourceVersion in the documents and overwrite"),
      Flag.withDefault(false)
    ),
    marathonFieldPolicy: marathonFieldPolicyFlag
  },
  Effect.fn("Cli.apply")(function*({ filename, recursive, dryRun, forceConflicts, marathonFieldPolicy }) {
    const flags = yield* root
    const policy = yield* readMarathonFieldPolicy(marathonFieldPolicy)
    const { documents, sources: sourceDocuments, notifiers: notifierDocuments, problems } = yield* readManifests(
      filename,
      recursive,
      (document) =>
        marathonFieldViolations(policy, document.spec.marathon).map((violation) => ({
          path: ["spec", "marathon", ...violation.segments],
          message: violation.message
        }))
    )
    if (problems.length > 0) {
      return yield* exitWith(ExitCode.invalid, ...problems.map(formatProblem), `error: ${problems.length} problem(s); nothing was applied`)
    }
    if (dryRun === "client") {
      for (const { document } of documents) yield* Console.log(`serviceinstance/${document.metadata.name} valid (client dry run)`)
      for (const { document } of sourceDocuments) yield* Console.log(`gitsource/${document.metadata.name} valid (client dry run)`)
      for (const { document } of notifierDocuments) yield* Console.log(`notifier/${document.metadata.name} valid (client dry run)`)
      return
    }
    const { outcomes, sourceOutcomes, notifierOutcomes } = yield* withStores(Effect.gen(function*() {
      const store = yield* SpecStore
      const gitSources = yield* GitSourceStore
      const expectedOf = (document: { readonly metadata: { readonly resourceVersion?: string | undefined } }) =>
        forceConflicts ? undefined : document.metadata.resourceVersion
      const writeOptions = (expectedResourceVersion: string | undefined, probe: boolean) => ({
        expectedResourceVersion,
        dryRun: dryRun === "server" || probe
      })
      // A write etcd did not answer is repeated, as for specs (apply/repeatUnanswered.ts).
      const sourceOutcomes = yield* Effect.forEach(sourceDocuments, ({ document }) =>
        applyRepeatingUnanswered({
          read: gitSources.get(document.metadata.name),
          expected: expectedOf(document),
          apply: (expected, probe) => gitSources.apply(document, writeOptions(expected, probe)),
          stored: (outcome) => outcome.source
        }).pipe(Effect.map((result) => ({ name: document.metadata.name, result }))))
      const notifierStore = yield* NotifierStore
      const notifierOutcomes = yield* Effect.forEach(notifierDocuments, ({ document }) =>
        applyRepeatingUnanswered({
          read: notifierStore.get(document.metadata.name),
          expected: expectedOf(document),
          apply: (expected, probe) => notifierStore.apply(document, writeOptions(expected, probe)),
          stored: (outcome) => outcome.notifier
        }).pipe(Effect.map((result) => ({ name: document.metadata.name, result }))))
      // Many documents: one range read instead of one get each; every write is still a CAS.
      const snapshot = documents.length > snapshotThreshold
        ? new Map((yield* store.list()).items.map((item) => [item.metadata.name, item]))
        : undefined
      // Specs owned by an existing GitSource are the source's: a conflict unless forced, and when
      // forced the owner annotation stays, so the source's next sync restores its version.
      const knownSources = new Set((yield* gitSources.list()).map((source) => source.metadata.name as string))
      const currentOf = (name: string) =>
        snapshot === undefined
          ? store.get(name as ServiceInstance["metadata"]["name"])
          : Effect.succeed(Option.fromUndefinedOr(snapshot.get(name)))
      const ownerOf = (current: Option.Option<StoredInstance>) => {
        const owner = Option.isSome(current) ? current.value.metadata.annotations?.[sourceAnnotation] : undefined
        return owner !== undefined && knownSources.has(owner) ? owner : undefined
      }
      // Only a source sets its annotation: a manifest can keep a spec's owner, never name a new one
      // (a copy of `get -o yaml` output must not hand a spec to a source that would then prune it).
      const withOwner = (document: ServiceInstance, owner: string | undefined): ServiceInstance => {
        const { [sourceAnnotation]: _claimed, ...annotations } = document.metadata.annotations ?? {}
        const kept = owner === undefined ? annotations : { ...annotations, [sourceAnnotation]: owner }
        const { annotations: _, ...metadata } = document.metadata
        return {
          ...document,
          metadata: {
            ...metadata,
            ...(Object.keys(kept).length === 0 && document.metadata.annotations === undefined ? {} : { annotations: kept })
          }
        }
      }
      /** The document as written (its owner kept) with its options, or why it is refused. */
      // `firstRead`: for a repeat after a write etcd did not answer, what the first try read.
      const prepare = (given: ServiceInstance, useSnapshot: boolean, firstRead?: Option.Option<StoredInstance>) =>
        Effect.gen(function*() {
          const current = useSnapshot ? yield* currentOf(given.metadata.name) : yield* store.get(given.metadata.name)
          const owner = ownerOf(current)
          if (owner !== undefined && !forceConflicts) {
            return yield* new SpecConflictError({
              name: given.metadata.name,
              message:
                `owned by gitsource ${owner}: change it in git, or apply with --force-conflicts (the source restores its version on its next sync)`
            })
          }
          const document = withOwner(given, owner)
          return {
            document,
            options: {
              expectedResourceVersion: forceConflicts
                ? undefined
                : firstRead === undefined
                ? document.metadata.resourceVersion
                : expectationOnRepeat(document, firstRead, current),
              dryRun: dryRun === "server",
              lastApplied: true,
              current
            }
          }
        })
      // --force-conflicts: a lost race is retried from a fresh read, a few times.
      const retryFresh = (given: ServiceInstance) =>
        Effect.flatMap(prepare(given, false), (item) => store.apply(item.document, item.options)).pipe(
          Effect.retry({ times: 3, while: (error) => error._tag === "SpecConflictError" })
        )
      // Every prepared document in one call: many specs to an etcd transaction.
      const writeAll = (
        repeatOf?: ReadonlyArray<Result.Result<{ readonly options: { readonly current: Option.Option<StoredInstance> } }, unknown>>
      ) =>
        Effect.gen(function*() {
          const prepared = yield* Effect.forEach(documents, ({ document }, index) => {
            const tried = repeatOf?.[index]
            const firstRead = tried === undefined || Result.isFailure(tried) ? undefined : tried.success.options.current
            return Effect.result(prepare(document, repeatOf === undefined, firstRead))
          }, {
            concurrency: writeConcurrency
          })
          const items = prepared.flatMap((item) => Result.isSuccess(item) ? [item.success] : [])
          return { prepared, written: yield* Effect.result(store.applyMany(items)) }
        })
      const first = yield* writeAll()
      // A write etcd did not answer (a member that froze, a deadline) may or may not have landed;
      // either way each spec is stored whole or not at all, so the same apply from fresh reads
      // finishes the job, every write still a compare-and-swap on what it read. A spec it finds
      // unchanged although it moved since the first try's read was written by that first try.
      const { prepared, written } = writesUnanswered(first.written)
        ? yield* writeAll(first.prepared).pipe(
          Effect.repeat({ schedule: unansweredRepeats, until: (again) => !writesUnanswered(again.written) })
        )
        : first
      const reported = (index: number, outcome: ApplyOutcome): ApplyOutcome => {
        const tried = first.prepared[index]
        if (prepared === first.prepared || tried === undefined || Result.isFailure(tried)) return outcome
        return actionAfterRetry(tried.success.options.current, outcome)
      }
      let next = 0
      const outcomes = yield* Effect.forEach(documents, ({ document }, index) =>
        Effect.gen(function*() {
          const item = prepared[index]!
          const result: Result.Result<ApplyOutcome, SpecConflictError | CorruptSpecError | StoreError> = Result.isFailure(item)
            ? Result.fail(item.failure)
            : Result.isFailure(written)
            ? Result.fail(written.failure)
            : Result.map(written.success[next++]!, (outcome) => reported(index, outcome))
          const retried = forceConflicts && Result.isFailure(result) && result.failure._tag === "SpecConflictError"
            ? yield* Effect.result(retryFresh(document))
            : result
          return { name: document.metadata.name, result: retried }
        }))
      return { outcomes, sourceOutcomes, notifierOutcomes }
    }))
    const suffix = dryRun === "server" ? " (server dry run)" : ""
    const conflicts: Array<string> = []
    const applied: Array<Record<string, unknown>> = []
    for (const { name, result } of sourceOutcomes) {
      if (Result.isFailure(result)) {
        const error = result.failure
        if (error._tag === "SpecConflictError") conflicts.push(`error: gitsource/${name}: conflict: ${error.message}`)
        else if (error._tag === "StoreError") return yield* exitWith(ExitCode.error, `error: ${error.oneLine}`)
        else return yield* exitWith(ExitCode.error, `error: ${error.key}: stored gitsource is unreadable: ${error.message}`)
        continue
      }
      const { action, source } = result.success
      applied.push({
        kind: "GitSource",
        name,
        action,
        generation: source.metadata.generation,
        resourceVersion: source.metadata.resourceVersion
      })
      if (flags.output !== "json") yield* Console.log(`gitsource/${name} ${action}${suffix}`)
    }
    for (const { name, result } of notifierOutcomes) {
      if (Result.isFailure(result)) {
        const error = result.failure
        if (error._tag === "SpecConflictError") conflicts.push(`error: notifier/${name}: conflict: ${error.message}`)
        else if (error._tag === "StoreError") return yield* exitWith(ExitCode.error, `error: ${error.oneLine}`)
        else return yield* exitWith(ExitCode.error, `error: ${error.key}: stored notifier is unreadable: ${error.message}`)
        continue
      }
      const { action, notifier } = result.success
      applied.push({
        kind: "Notifier",
        name,
        action,
        generation: notifier.metadata.generation,
        resourceVersion: notifier.metadata.resourceVersion
      })
      if (flags.output !== "json") yield* Console.log(`notifier/${name} ${action}${suffix}`)
    }
    for (const { name, result } of outcomes) {
      if (Result.isFailure(result)) {
        const error = result.failure
        if (error._tag === "SpecConflictError") conflicts.push(`error: ${name}: conflict: ${error.message}`)
        else if (error._tag === "StoreError") return yield* exitWith(ExitCode.error, `error: ${error.oneLine}`)
        else return yield* exitWith(ExitCode.error, `error: ${error.key}: stored spec is unreadable: ${error.message}`)
        continue
      }
      const { action, instance } = result.success
      applied.push({ name, action, generation: instance.metadata.generation, resourceVersion: instance.metadata.resourceVersion })
      if (flags.output === "name") yield* Console.log(`serviceinstance/${name}`)
      else if (flags.output !== "json") yield* Console.log(`serviceinstance/${name} ${action}${suffix}`)
    }
    if (flags.output === "json") yield* Console.log(JSON.stringify({ applied, conflicts: conflicts.length }, null, 2))
    if (conflicts.length > 0) return yield* exitWith(ExitCode.conflict, ...conflicts)
  })
).pipe(
  Command.withDescription("Create or update ServiceInstances from YAML or JSON manifests"),
  Command.withExamples([
    { command: "mdeploy apply -f deploy/examples/", description: "Apply every manifest of a directory" },
    { command: "cat web.yaml | mdeploy apply -f -", description: "Apply from standard input" },
    { command: "mdeploy apply -f web.yaml --dry-run=server", description: "Show what would change, writing nothing" },
    {
      command: "mdeploy apply -f web.yaml --marathon-field-policy /etc/mdeploy/marathon-fields.yaml",
      description: "Refuse spec.marathon fields the operator's policy denies"
    }
  ])
)
