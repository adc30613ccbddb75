// Events (design.md §13, CONTRACT): what a person wants to know about an instance — an app created,
// tasks drained and killed, a rollout finished, a stall, a refused clean-up — kept for an hour
// like Kubernetes Events. The same reason and message seen again counts up instead of piling up.
import { Schema } from "effect"

export const EventType = Schema.Literals(["Normal", "Warning"])
export type EventType = typeof EventType.Type

/**
 * What a notification needs to say about the instance as it was when the event happened (design.md
 * §15): set only on the reasons a Notifier can send, so the common events stay small.
 */
export const EventContext = Schema.Struct({
  generation: Schema.optionalKey(Schema.Int),
  appId: Schema.optionalKey(Schema.String),
  /** The GitSource revision that wrote the spec: `<commit> <subject>` (the mdeploy.dev/revision annotation). */
  revision: Schema.optionalKey(Schema.String),
  /** The instance's labels, for notifier selectors (a deleted spec has none left to read). */
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})
export type EventContext = typeof EventContext.Type

export const InstanceEvent = Schema.Struct({
  type: EventType,
  reason: Schema.String,
  message: Schema.String,
  count: Schema.Int,
  firstTimestamp: Schema.String,
  lastTimestamp: Schema.String,
  traceId: Schema.optionalKey(Schema.String),
  context: Schema.optionalKey(EventContext)
})
export type InstanceEvent = typeof InstanceEvent.Type

/** One event as it is listed: the instance it is about, and the event. */
export interface ListedEvent {
  readonly instance: string
  readonly event: InstanceEvent
}

/** What a writer reports; count and timestamps are the recorder's. */
export interface EventNote {
  readonly type: EventType
  readonly reason: string
  readonly message: string
  readonly context?: EventContext
}

/** Same reason and message, same key: FNV-1a of the message keeps keys short and stable. */
export const eventId = (note: EventNote): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < note.message.length; i++) {
    hash ^= note.message.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return `${note.reason}.${hash.toString(16).padStart(8, "0")}`
}

/** The event after `note` is seen again at `at` (or for the first time). */
export const observe = (previous: InstanceEvent | undefined, note: EventNote, at: string, traceId: string | undefined): InstanceEvent => ({
  type: note.type,
  reason: note.reason,
  message: note.message,
  count: (previous?.count ?? 0) + 1,
  firstTimestamp: previous?.firstTimestamp ?? at,
  lastTimestamp: at,
  ...(traceId === undefined ? {} : { traceId }),
  ...(note.context === undefined ? {} : { context: note.context })
})

/** Newest first, as `mdeploy events` and `describe` show them. */
export const newestFirst = (events: ReadonlyArray<ListedEvent>): ReadonlyArray<ListedEvent> =>
  [...events].sort((a, b) => b.event.lastTimestamp.localeCompare(a.event.lastTimestamp))
