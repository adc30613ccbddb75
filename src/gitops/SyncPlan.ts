// Pure: what one revision of a source changes in etcd (design.md §12). Given the documents of the
// revision and the specs stored now, it says which specs to write (changed or new ones only), which
// it must not touch (owned by hand or by another source: conflicts, reported, never overwritten),
// and what to prune — the specs this source owns that the revision no longer has — unless the prune
// is refused: an empty desired set, or more than half of what the source owns, prunes nothing
// until that one revision is approved. No I/O.
import { canonicalJson } from "../domain/CanonicalJson.ts"
import { sourceAnnotation } from "../domain/GitSource.ts"
import type { ServiceInstance } from "../domain/ServiceInstance.ts"

/** What the plan needs of a stored spec. */
export interface StoredView {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ServiceInstance["metadata"]
  readonly spec: ServiceInstance["spec"]
}

export interface SyncPlanInput<S extends StoredView> {
  readonly source: string
  readonly desired: ReadonlyArray<ServiceInstance>
  readonly stored: ReadonlyArray<S>
  readonly prune: boolean
  /** The revision's mass prune was approved (`sync --allow-mass-prune`). */
  readonly massPruneApproved: boolean
  /**
   * Comparisons already made, by the identity of the document and the stored spec: documents of
   * unchanged files and specs of unchanged revisions are the same objects from one sync to the
   * next, so a poll of thousands compares only what moved. Optional; a cache, never a decision.
   */
  readonly memo?: WeakMap<object, WeakMap<object, boolean>>
  /** Names the revision could not convert (format paasta): their stored specs stay, never pruned. */
  readonly keep?: ReadonlyArray<string>
}

export interface Conflict {
  readonly name: string
  /** The other source, or undefined for a spec written by hand. */
  readonly owner: string | undefined
}

export interface SyncPlan<S extends StoredView> {
  readonly writes: ReadonlyArray<{ readonly document: ServiceInstance; readonly current: S | undefined }>
  readonly unchanged: ReadonlyArray<string>
  readonly conflicts: ReadonlyArray<Conflict>
  readonly prune: ReadonlyArray<string>
  /** Why nothing was pruned although the inventory lost specs. */
  readonly pruneRefused: string | undefined
  /** The names this source owns once the plan is carried out. */
  readonly inventory: ReadonlyArray<string>
}

export const ownerOf = (metadata: ServiceInstance["metadata"]): string | undefined => metadata.annotations?.[sourceAnnotation]

export const conflictMessage = (conflict: Conflict): string =>
  conflict.owner === undefined
    ? `${conflict.name}: written by hand (mdeploy apply); delete it or stop managing it in git`
    : `${conflict.name}: owned by gitsource ${conflict.owner}`

/** The document as the source writes it: its own annotations plus the ownership annotation, no server fields or status. */
export const ownedDocument = (source: string, document: ServiceInstance): ServiceInstance => {
  const { labels, annotations } = document.metadata
  return {
    apiVersion: document.apiVersion,
    kind: document.kind,
    metadata: {
      name: document.metadata.name,
      ...(labels === undefined ? {} : { labels }),
      annotations: { ...annotations, [sourceAnnotation]: source }
    },
    spec: document.spec
  }
}

const same = (a: StoredView, b: ServiceInstance): boolean =>
  canonicalJson(a.spec) === canonicalJson(b.spec) &&
  canonicalJson(a.metadata.labels ?? {}) === canonicalJson(b.metadata.labels ?? {}) &&
  canonicalJson(a.metadata.annotations ?? {}) === canonicalJson(b.metadata.annotations ?? {})

const sameMemoized = (
  memo: WeakMap<object, WeakMap<object, boolean>> | undefined,
  given: ServiceInstance,
  current: StoredView,
  document: ServiceInstance
): boolean => {
  if (memo === undefined) return same(current, document)
  const known = memo.get(given)?.get(current)
  if (known !== undefined) return known
  const answer = same(current, document)
  const row = memo.get(given) ?? new WeakMap<object, boolean>()
  row.set(current, answer)
  memo.set(given, row)
  return answer
}

/** More than this share of the inventory pruned by one revision needs an approval. */
export const massPruneShare = 0.5

export const planSync = <S extends StoredView>(input: SyncPlanInput<S>): SyncPlan<S> => {
  const stored = new Map(input.stored.map((item) => [item.metadata.name as string, item]))
  const writes: Array<{ readonly document: ServiceInstance; readonly current: S | undefined }> = []
  const unchanged: Array<string> = []
  const conflicts: Array<Conflict> = []
  const desiredNames = new Set<string>()
  for (const given of input.desired) {
    const document = ownedDocument(input.source, given)
    const name = document.metadata.name
    desiredNames.add(name)
    const current = stored.get(name)
    if (current !== undefined && ownerOf(current.metadata) !== input.source) {
      conflicts.push({ name, owner: ownerOf(current.metadata) })
    } else if (current !== undefined && sameMemoized(input.memo, given, current, document)) {
      unchanged.push(name)
    } else {
      writes.push({ document, current })
    }
  }
  const owned = input.stored.filter((item) => ownerOf(item.metadata) === input.source).map((item) => item.metadata.name as string)
  const keep = new Set(input.keep ?? [])
  const lost = owned.filter((name) => !desiredNames.has(name) && !keep.has(name)).sort()
  let pruneRefused: string | undefined
  if (input.prune && lost.length > 0 && !input.massPruneApproved) {
    if (desiredNames.size === 0) {
      pruneRefused =
        `the revision has no ServiceInstances: pruning all ${lost.length} would empty the source; approve with mdeploy sync --allow-mass-prune`
    } else if (lost.length > owned.length * massPruneShare) {
      pruneRefused =
        `the revision would prune ${lost.length} of ${owned.length} specs (more than half); approve with mdeploy sync --allow-mass-prune`
    }
  }
  const prune = input.prune && pruneRefused === undefined ? lost : []
  const conflicted = new Set(conflicts.map((conflict) => conflict.name))
  const kept = new Set([...desiredNames].filter((name) => !conflicted.has(name)))
  for (const name of lost) if (!prune.includes(name)) kept.add(name)
  for (const name of owned) if (keep.has(name)) kept.add(name)
  return { writes, unchanged, conflicts, prune, pruneRefused, inventory: [...kept].sort() }
}
