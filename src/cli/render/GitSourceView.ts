// Pure: GitSources as `get gitsources` lists them and as `describe gitsource NAME` shows one —
// conditions, revisions, inventory size, the first invalid document, conflicts and sync history.
import type { GitSourceStatus } from "../../domain/GitSource.ts"
import type { StoredGitSource } from "../../store/GitSourceStore.ts"
import { formatAge, renderTable } from "./Table.ts"

const short = (revision: string | undefined) => revision?.slice(0, 12) ?? "<none>"

const refText = (source: StoredGitSource): string => {
  const ref = source.spec.ref
  return ref === undefined
    ? "branch main"
    : "branch" in ref
    ? `branch ${ref.branch}`
    : "tag" in ref
    ? `tag ${ref.tag}`
    : `commit ${ref.commit.slice(0, 12)}`
}

const ready = (status: GitSourceStatus | undefined) => status?.conditions.find((condition) => condition.type === "Ready")

export const gitSourceTable = (
  rows: ReadonlyArray<{ readonly source: StoredGitSource; readonly status: GitSourceStatus | undefined }>,
  nowMillis: number
): string =>
  renderTable(
    ["NAME", "URL", "REF", "READY", "REASON", "REVISION", "SPECS", "AGE"],
    rows.map(({ source, status }) => [
      source.metadata.name,
      source.spec.url,
      refText(source),
      source.spec.suspend === true ? "Suspended" : ready(status)?.status ?? "Unknown",
      ready(status)?.reason ?? "",
      short(status?.lastAppliedRevision),
      String(status?.inventory.length ?? 0),
      formatAge(Date.parse(source.metadata.creationTimestamp), nowMillis)
    ])
  )

export const gitSourceDescription = (source: StoredGitSource, status: GitSourceStatus | undefined): string => {
  const lines: Array<string> = [
    `Name:          ${source.metadata.name}`,
    `URL:           ${source.spec.url}`,
    `Ref:           ${refText(source)}`,
    `Path:          ${source.spec.path ?? "/"}`,
    `Interval:      ${source.spec.interval ?? "60s"}`,
    `Prune:         ${source.spec.prune !== false}`,
    `Suspended:     ${source.spec.suspend === true}`,
    `Generation:    ${source.metadata.generation} (observed ${status?.observedGeneration ?? "-"})`,
    `Fetched:       ${short(status?.lastFetchedRevision)}`,
    `Applied:       ${short(status?.lastAppliedRevision)}`,
    `Attempted:     ${short(status?.lastAttemptedRevision)}`,
    `Inventory:     ${status?.inventory.length ?? 0} spec(s)`,
    ...(status?.nextSyncAt === undefined ? [] : [`Next sync:     ${status.nextSyncAt}`]),
    ...(status?.pruneRefusedRevision === undefined
      ? []
      : [`Prune refused: ${short(status.pruneRefusedRevision)} (approve with mdeploy sync ${source.metadata.name} --allow-mass-prune)`])
  ]
  if (status?.firstInvalid !== undefined) {
    const invalid = status.firstInvalid
    lines.push(
      `First invalid: ${invalid.file}:${invalid.line}:${invalid.col}: ${invalid.path === "" ? "" : `${invalid.path}: `}${invalid.message}`
    )
  }
  if ((status?.conflicts ?? []).length > 0) {
    lines.push("Conflicts:")
    for (const conflict of status!.conflicts!) lines.push(`  ${conflict}`)
  }
  lines.push("Conditions:")
  if (status === undefined || status.conditions.length === 0) lines.push("  <none: not synced yet>")
  else {
    lines.push(
      ...renderTable(
        ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
        status.conditions.map((
          condition
        ) => [condition.type, condition.status, condition.reason, condition.lastTransitionTime, condition.message])
      ).split("\n").map((line) => `  ${line}`)
    )
  }
  lines.push("History:")
  if (status === undefined || status.history.length === 0) lines.push("  <none>")
  else {
    lines.push(
      ...renderTable(
        ["STARTED", "REVISION", "RESULT", "DURATION", "WRITTEN", "UNCHANGED", "PRUNED", "AUTHOR", "SUBJECT"],
        status.history.map((entry) => [
          entry.startedAt,
          short(entry.revision),
          entry.result,
          `${entry.durationMs}ms`,
          String(entry.written),
          String(entry.unchanged),
          String(entry.pruned),
          entry.author ?? "",
          (entry.subject ?? "").slice(0, 60)
        ])
      ).split("\n").map((line) => `  ${line}`)
    )
  }
  return lines.join("\n")
}
