// Pure: the text of `mdeploy describe NAME`, kubectl style — aligned "Key:  value" lines, the spec
// as YAML, status conditions as a table, and the revision history.
import { defaultShard } from "../../domain/ShardPlacement.ts"
import { stringify } from "yaml"
import type { InstanceStatus } from "../../domain/InstanceStatus.ts"
import type { HistoryEntry, StoredInstance } from "../../store/SpecStore.ts"
import { formatAge, renderTable } from "./Table.ts"

const indent = (text: string, by = "  ") => text.trimEnd().split("\n").map((line) => `${by}${line}`).join("\n")

const pairs = (entries: ReadonlyArray<readonly [string, string]>) => {
  const width = Math.max(...entries.map(([key]) => key.length)) + 2
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}`).join("\n")
}

const labelText = (labels: Readonly<Record<string, string>> | undefined) =>
  labels === undefined || Object.keys(labels).length === 0
    ? "<none>"
    : Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(",")

export interface DescribeInput {
  readonly instance: StoredInstance
  readonly status: InstanceStatus | undefined
  readonly history: ReadonlyArray<HistoryEntry>
  /** Extra sections (Marathon apps and tasks) rendered by the caller. */
  readonly extra?: ReadonlyArray<{ readonly title: string; readonly body: string }>
  readonly nowMillis: number
}

export const describeView = ({ instance, status, history, extra = [], nowMillis }: DescribeInput): string => {
  const meta = instance.metadata
  const sections = [
    pairs([
      ["Name", meta.name],
      ["Labels", labelText(meta.labels)],
      ["Annotations", labelText(meta.annotations)],
      ["Generation", String(meta.generation)],
      ["Resource version", meta.resourceVersion],
      ["Created", `${meta.creationTimestamp} (${formatAge(Date.parse(meta.creationTimestamp), nowMillis)} ago)`],
      ["UID", meta.uid]
    ]),
    `Spec:\n${indent(stringify(instance.spec, { lineWidth: 0 }))}`
  ]
  if (status === undefined) sections.push("Status:  <not reconciled yet>")
  else {
    const tasks = status.tasks
    sections.push(`Status:\n${
      indent(pairs([
        ["Phase", status.phase ?? "Pending"],
        ["Observed generation", status.observedGeneration === undefined ? "-" : String(status.observedGeneration)],
        ["App", status.appId ?? "-"],
        ["Shard", status.appId === undefined ? "-" : status.shard ?? defaultShard],
        [
          "Tasks",
          tasks === undefined ?
            "-" :
            `${tasks.happyNew}/${tasks.desired} new happy, ${tasks.oldHappy} old happy, ${tasks.oldUnhappy} old unhappy, ${tasks.draining} draining, ${tasks.atRisk} at risk`
        ],
        ["Summary", status.summary ?? "-"],
        [
          "Last task failure",
          status.lastTaskFailure === undefined ?
            "-" :
            `${status.lastTaskFailure.taskId} ${status.lastTaskFailure.state} at ${status.lastTaskFailure.at} on ${status.lastTaskFailure.host}: ${status.lastTaskFailure.message}`
        ],
        [
          "Last reconcile",
          status.lastReconcile === undefined ?
            "-" :
            `${status.lastReconcile.result} at ${status.lastReconcile.at}${
              status.lastReconcile.traceId === undefined ? "" : ` (trace ${status.lastReconcile.traceId})`
            }${status.lastReconcile.error === undefined ? "" : `: ${status.lastReconcile.error}`}`
        ]
      ]))
    }`)
    const conditions = status.conditions ?? []
    if (conditions.length > 0) {
      sections.push(`Conditions:\n${
        indent(renderTable(
          ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
          conditions.map((condition) => [
            condition.type,
            condition.status,
            condition.reason,
            formatAge(Date.parse(condition.lastTransitionTime), nowMillis),
            condition.message
          ])
        ))
      }`)
    }
  }
  for (const section of extra) sections.push(`${section.title}:\n${indent(section.body)}`)
  sections.push(
    history.length === 0 ? "History:  <none>" : `History:\n${
      indent(renderTable(
        ["GENERATION", "RECORDED", "IMAGE"],
        [...history].reverse().map((entry) => [String(entry.generation), entry.recordedAt, entry.spec.image ?? entry.spec.cmd ?? "-"])
      ))
    }`
  )
  return sections.join("\n")
}
