// Pure: the `mdeploy get` table. Phase and readiness come from status; an instance the controller
// has not reconciled yet (no status, or status of an older generation) shows as Pending.
import type { InstanceStatus } from "../../domain/InstanceStatus.ts"
import type { StoredInstance } from "../../store/SpecStore.ts"
import { formatAge, renderTable } from "./Table.ts"

export const instanceTable = (
  rows: ReadonlyArray<{ readonly instance: StoredInstance; readonly status: InstanceStatus | undefined }>,
  wide: boolean,
  nowMillis: number
): string => {
  const headers = ["NAME", "METHOD", "DESIRED", "READY", "PHASE", "AGE"]
  if (wide) headers.push("GEN", "OBSERVED", "IMAGE", "APP")
  return renderTable(headers, rows.map(({ instance, status }) => {
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
        status?.appId ?? "-"
      )
    }
    return cells
  }))
}
