// `mdeploy events` and describe's Events section: kubectl's columns, newest first.
import type { ListedEvent } from "../../events/InstanceEvent.ts"
import { newestFirst } from "../../events/InstanceEvent.ts"
import { formatAge, renderTable } from "./Table.ts"

export const eventHeaders = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"] as const

export const eventRow = (listed: ListedEvent, nowMillis: number): ReadonlyArray<string> => [
  formatAge(Date.parse(listed.event.lastTimestamp), nowMillis),
  listed.event.type,
  listed.event.reason,
  `serviceinstance/${listed.instance}`,
  String(listed.event.count),
  listed.event.message
]

export const eventTable = (events: ReadonlyArray<ListedEvent>, nowMillis: number): string =>
  renderTable([...eventHeaders], newestFirst(events).map((listed) => eventRow(listed, nowMillis)))
