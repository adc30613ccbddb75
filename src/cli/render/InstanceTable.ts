// Pure: the `mdeploy get` table. Phase and readiness come from status; an instance the controller
// has not reconciled yet (no status, or status of an older generation) shows as Pending.
import { defaultShard } from "../../domain/ShardPlacement.ts"
import { sourceAnnotation } from "../../domain/GitSource.ts"
import type { InstanceStatus } from "../../domain/InstanceStatus.ts"
import type { StoredInstance } from "../../store/SpecStore.ts"
import { formatAge, renderTable } from "./Table.ts"

/** kubectl's LABELS column: `k=v,k2=v2` in key order, `<none>` when there are none. */
export const formatLabels = (labels: Readonly<Record<string, string>> | undefined): string => {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return entries.length === 0 ? "<none>" : entries.map(([key, value]) => `${key}=${value}`).join(",")
}

/**
 * `deleted`: instances whose spec is gone but whose apps are still there (tear-down in progress,
 * or refused by the deletion budget: phase CleanupRefused), listed until their status is removed.
 */
export const instanceTable = (
  rows: ReadonlyArray<{ readonly instance: StoredInstance; readonly status: InstanceStatus | undefined }>,
  wide: boolean,
  nowMillis: number,
  deleted: ReadonlyArray<{ readonly name: string; readonly status: InstanceStatus }> = [],
  showLabels = false
): string => {
  const headers = ["NAME", "METHOD", "DESIRED", "READY", "PHASE", "AGE"]
  // SOURCE: the GitSource that owns the spec (design.md §12), "-" when it was applied by hand.
  // SHARD: the Marathon shard the instance lives on, as its status last recorded it.
  if (wide) headers.push("GEN", "OBSERVED", "IMAGE", "APP", "SHARD", "SOURCE")
  if (showLabels) headers.push("LABELS")
  const gone = deleted.map(({ name, status }) => {
    const phase = status.phase === "CleanupRefused" ? "CleanupRefused" : "Deleting"
    const cells = [name, "-", "0", status.tasks === undefined ? "-" : `${status.tasks.oldHappy}/0`, phase, "-"]
    if (wide) {
      cells.push(
        "-",
        status.observedGeneration === undefined ? "-" : String(status.observedGeneration),
        "-",
        status.appId ?? "-",
        shardOf(status),
        "-"
      )
    }
    if (showLabels) cells.push("<none>")
    return cells
  })
  return renderTable(headers, [
    ...rows.map(({ instance, status }) => {
      const spec = instance.spec
      const desired = spec.desiredState === "stop" ? 0 : spec.instances ?? 1
      const current = status?.observedGeneration === instance.metadata.generation
      const phase = spec.paused === true ? "Paused" : status?.phase === undefined ? "Pending" : `${status.phase}${current ? "" : "*"}`
      const cells = [
        instance.metadata.name,
        spec.bounce?.method ?? "crossover",
        String(desired),
        status?.tasks === undefined ? "-" : `${status.tasks.happyNew}/${desired}`,
        phase,
        formatAge(Date.parse(instance.metadata.creationTimestamp), nowMillis)
      ]
      if (wide) {
        cells.push(
          String(instance.metadata.generation),
          status?.observedGeneration === undefined ? "-" : String(status.observedGeneration),
          spec.image ?? "-",
          status?.appId ?? "-",
          status === undefined ? "-" : shardOf(status),
          instance.metadata.annotations?.[sourceAnnotation] ?? "-"
        )
      }
      if (showLabels) cells.push(formatLabels(instance.metadata.labels))
      return cells
    }),
    ...gone
  ])
}

/** A status without a shard is from an installation without shards: its one shard is "default". */
const shardOf = (status: InstanceStatus): string => status.appId === undefined ? "-" : status.shard ?? defaultShard
