// Pure: the revisions of `mdeploy rollout history` — each kept spec with what changed against the
// revision before it — as a table, as documents for -o yaml|json, or one revision in full. A
// revision is recorded when the app id changes (domain/Revision.ts) and numbered by the generation
// it was recorded at, so numbers have gaps; the store keeps the newest 10.
import { canonicalJson } from "../../domain/CanonicalJson.ts"
import type { Rollout } from "../../rollouts/Rollout.ts"
import type { HistoryEntry } from "../../store/SpecStore.ts"
import { stringify } from "yaml"
import { rolloutOutcome, stepsSummary, stepsTable } from "./RolloutSteps.ts"
import { renderTable } from "./Table.ts"

export interface RevisionView {
  readonly revision: number
  readonly recordedAt: string
  readonly current: boolean
  readonly image: string
  readonly appId: string | undefined
  /** Spec paths that differ from the previous revision; undefined when that one is not kept. */
  readonly changes: ReadonlyArray<string> | undefined
  readonly spec: HistoryEntry["spec"]
  /** The rollout of this revision's generation, when the controller recorded one (design.md §13). */
  readonly rollout?: Rollout
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * Spec paths that differ between two specs: top-level fields, one level deeper for object fields
 * (`bounce.method`, `env.LOG_LEVEL`), because "bounce changed" rarely says enough.
 */
export const specChanges = (before: unknown, after: unknown): Array<string> => {
  const a = isPlainObject(before) ? before : {}
  const b = isPlainObject(after) ? after : {}
  const changed: Array<string> = []
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key]
    const y = b[key]
    if (canonicalJson(x) === canonicalJson(y)) continue
    if (isPlainObject(x) && isPlainObject(y) && key !== "marathon") {
      for (const inner of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        if (canonicalJson(x[inner]) !== canonicalJson(y[inner])) changed.push(`${key}.${inner}`)
      }
    } else {
      changed.push(key)
    }
  }
  return changed
}

/**
 * Oldest first, as the store returns them; `current` is the revision running now. Kept revisions
 * are the newest ones, so each one's predecessor is the entry before it; only the oldest kept one
 * may have lost its predecessor.
 */
export const revisionViews = (
  history: ReadonlyArray<HistoryEntry>,
  current: number,
  rollouts: ReadonlyArray<Rollout> = []
): Array<RevisionView> => {
  const sorted = [...history].sort((x, y) => x.generation - y.generation)
  return sorted.map((entry, index) => {
    const previous = sorted[index - 1]
    const changes = entry.generation === 1
      ? ["created"]
      : previous !== undefined
      ? specChanges(previous.spec, entry.spec)
      : undefined
    const rollout = rollouts.find((each) => each.generation === entry.generation)
    return {
      ...(rollout === undefined ? {} : { rollout }),
      revision: entry.generation,
      recordedAt: entry.recordedAt,
      current: entry.generation === current,
      image: entry.spec.image ?? entry.spec.cmd ?? (entry.spec.args === undefined ? "-" : entry.spec.args.join(" ")),
      appId: entry.appId,
      changes,
      spec: entry.spec
    }
  })
}

const changeText = (changes: ReadonlyArray<string> | undefined): string =>
  changes === undefined ? "(previous revision not kept)" : changes.length === 0 ? "(no change)" : changes.join(", ")

/**
 * kubectl-style table, newest last like `kubectl rollout history`; the current revision is marked.
 * With recorded rollouts, each revision's outcome and its steps with their durations.
 */
export const historyTable = (views: ReadonlyArray<RevisionView>, nowMillis = Date.now()): string => {
  const rollouts = views.some((view) => view.rollout !== undefined)
  return renderTable(
    ["REVISION", "RECORDED", "IMAGE", "CHANGES", ...(rollouts ? ["ROLLOUT", "STEPS"] : [])],
    views.map((view) => [
      `${view.revision}${view.current ? " (current)" : ""}`,
      view.recordedAt,
      view.image,
      changeText(view.changes),
      ...(rollouts ? view.rollout === undefined ? ["-", "-"] : [rolloutOutcome(view.rollout, nowMillis), stepsSummary(view.rollout)] : [])
    ])
  )
}

/** The entries as printed by -o yaml|json. */
export const historyDocuments = (views: ReadonlyArray<RevisionView>): Array<Record<string, unknown>> =>
  views.map((view) => ({
    revision: view.revision,
    recordedAt: view.recordedAt,
    current: view.current,
    image: view.image,
    ...(view.appId === undefined ? {} : { appId: view.appId }),
    ...(view.changes === undefined ? {} : { changes: view.changes }),
    ...(view.rollout === undefined ? {} : { rollout: view.rollout }),
    spec: view.spec
  }))

/** One revision in full, for `rollout history NAME --revision N`. */
export const revisionDetail = (name: string, view: RevisionView, nowMillis = Date.now()): string =>
  [
    `serviceinstance/${name} revision ${view.revision}${view.current ? " (current)" : ""}`,
    `Recorded:  ${view.recordedAt}`,
    `App:       ${view.appId ?? "-"}`,
    `Changes:   ${changeText(view.changes)}`,
    "Spec:",
    ...stringify(view.spec, { lineWidth: 0, sortMapEntries: true }).trimEnd().split("\n").map((line) => `  ${line}`),
    ...(view.rollout === undefined ? [] : ["Rollout:", ...stepsTable(view.rollout, nowMillis).split("\n").map((line) => `  ${line}`)])
  ].join("\n")
