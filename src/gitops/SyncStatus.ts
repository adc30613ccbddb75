// Pure: the status a sync attempt leaves behind (design.md §12): revisions, inventory, conflicts,
// the first invalid document, conditions whose lastTransitionTime moves only when their status or
// reason does, and the newest 10 syncs that did something (an unchanged poll is not history).
import type { GitCondition, GitSourceStatus, InvalidDocument, SyncRecord, SyncResult } from "../domain/GitSource.ts"
import { historyLimit } from "../domain/GitSource.ts"

export interface Attempt {
  readonly generation: number
  readonly result: SyncResult
  readonly message: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly durationMs: number
  readonly revision?: { readonly commit: string; readonly subject: string; readonly author: string } | undefined
  readonly fetched?: string | undefined
  readonly written: number
  readonly unchanged: number
  readonly pruned: number
  readonly inventory?: ReadonlyArray<string> | undefined
  readonly conflicts?: ReadonlyArray<string> | undefined
  readonly firstInvalid?: InvalidDocument | undefined
  readonly pruneRefused?: boolean
  readonly handledRequest?: string | undefined
}

/** Results after which the next attempt backs off: the remote or etcd failed, not the content. */
export const isFailure = (result: SyncResult): boolean => result === "FetchFailed" || result === "WriteFailed"

const condition = (
  previous: ReadonlyArray<GitCondition>,
  type: GitCondition["type"],
  status: GitCondition["status"],
  reason: string,
  message: string,
  now: string
): GitCondition => {
  const before = previous.find((entry) => entry.type === type)
  const lastTransitionTime = before !== undefined && before.status === status && before.reason === reason ? before.lastTransitionTime : now
  return { type, status, reason, message, lastTransitionTime }
}

const readyReason: Record<SyncResult, string> = {
  Synced: "Synced",
  Unchanged: "Synced",
  Invalid: "ValidationFailed",
  Conflicts: "Conflict",
  PruneRefused: "PruneRefused",
  FetchFailed: "FetchFailed",
  WriteFailed: "WriteFailed"
}

export const nextStatus = (previous: GitSourceStatus | undefined, attempt: Attempt): GitSourceStatus => {
  const before = previous?.conditions ?? []
  const ok = attempt.result === "Synced" || attempt.result === "Unchanged"
  const failures = isFailure(attempt.result) ? (previous?.failures ?? 0) + 1 : 0
  // PruneRefused wrote what it could but the revision is not fully applied until approved.
  const applied = ok || attempt.result === "Conflicts"
  const record: SyncRecord = {
    ...(attempt.revision === undefined
      ? {}
      : { revision: attempt.revision.commit, subject: attempt.revision.subject, author: attempt.revision.author }),
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
    written: attempt.written,
    unchanged: attempt.unchanged,
    pruned: attempt.pruned,
    result: attempt.result,
    ...(attempt.message === "" ? {} : { message: attempt.message })
  }
  const newest = previous?.history[0]
  // A poll that changed nothing, or the same failure again, is not worth a history entry.
  const repeat = attempt.result === "Unchanged" ||
    (newest !== undefined && newest.result === attempt.result && newest.revision === record.revision && newest.message === record.message &&
      !ok)
  const history = repeat ? previous?.history ?? [] : [record, ...(previous?.history ?? [])].slice(0, historyLimit)
  const fetched = attempt.fetched ?? attempt.revision?.commit ?? previous?.lastFetchedRevision
  const appliedRevision = applied ? attempt.revision?.commit : previous?.lastAppliedRevision
  const attempted = attempt.revision?.commit ?? attempt.fetched ?? previous?.lastAttemptedRevision
  const pruneRefusedRevision = attempt.pruneRefused === true ? attempt.revision?.commit : undefined
  const conflicts = attempt.conflicts ?? previous?.conflicts ?? []
  const firstInvalid = attempt.result === "Invalid" ? attempt.firstInvalid : undefined
  return {
    observedGeneration: attempt.generation,
    ...(fetched === undefined ? {} : { lastFetchedRevision: fetched }),
    ...(appliedRevision === undefined ? {} : { lastAppliedRevision: appliedRevision }),
    ...(attempted === undefined ? {} : { lastAttemptedRevision: attempted }),
    ...(pruneRefusedRevision === undefined ? {} : { pruneRefusedRevision }),
    inventory: attempt.inventory ?? previous?.inventory ?? [],
    ...(conflicts.length === 0 ? {} : { conflicts }),
    ...(firstInvalid === undefined ? {} : { firstInvalid }),
    conditions: [
      condition(before, "Ready", ok ? "True" : "False", readyReason[attempt.result], attempt.message, attempt.finishedAt),
      condition(before, "Reconciling", "False", ok ? "Synced" : readyReason[attempt.result], "", attempt.finishedAt),
      condition(
        before,
        "Stalled",
        attempt.result === "Invalid" ? "True" : "False",
        attempt.result === "Invalid" ? "ValidationFailed" : "AsExpected",
        attempt.result === "Invalid" ? attempt.message : "",
        attempt.finishedAt
      )
    ],
    history,
    ...(failures === 0 ? {} : { failures }),
    ...(attempt.handledRequest === undefined
      ? (previous?.handledRequest === undefined ? {} : { handledRequest: previous.handledRequest })
      : { handledRequest: attempt.handledRequest })
  }
}
