// What a notification says (design.md §15, item 8 of the dashboards issue): every one names the
// instance, generation, Marathon app id and trace id, and — when a GitSource wrote the spec — the
// revision and commit subject. Two shapes: `slack` (an incoming-webhook message: `text` for
// notifications and clients without blocks, `blocks` for the rest) and `generic` (the event as
// JSON with those facts beside it). Pure: the same facts always give the same bytes, so a
// signature can be checked and a retry sends exactly what the first attempt sent.
import { parseRevision } from "../domain/GitSource.ts"
import type { EventType } from "../events/InstanceEvent.ts"

export interface NotificationFacts {
  readonly notifier: string
  /** The instance, or `gitsource:<name>`. */
  readonly subject: string
  readonly generation: number
  readonly type: EventType
  readonly reason: string
  readonly message: string
  readonly count: number
  readonly firstTimestamp: string
  readonly lastTimestamp: string
  readonly appId: string | undefined
  readonly traceId: string | undefined
  /** `<commit> <subject>`, the mdeploy.dev/revision annotation. */
  readonly revision: string | undefined
  /** The status page's page for the subject, when the controller knows its external URL. */
  readonly statusUrl: string | undefined
}

/** The page of one instance on the status page (design.md §13). */
export const statusUrlOf = (base: string | undefined, subject: string): string | undefined =>
  base === undefined || subject.includes(":") ? base : `${base.replace(/\/+$/, "")}/instances/${encodeURIComponent(subject)}`

export const genericPayload = (facts: NotificationFacts): unknown => {
  const revision = facts.revision === undefined ? undefined : parseRevision(facts.revision)
  return {
    apiVersion: "mdeploy.dev/v1",
    kind: "Notification",
    notifier: facts.notifier,
    event: {
      type: facts.type,
      reason: facts.reason,
      message: facts.message,
      count: facts.count,
      firstTimestamp: facts.firstTimestamp,
      lastTimestamp: facts.lastTimestamp
    },
    instance: facts.subject,
    generation: facts.generation,
    appId: facts.appId ?? null,
    revision: revision?.commit ?? null,
    commit: revision?.subject ?? null,
    traceId: facts.traceId ?? null,
    statusUrl: facts.statusUrl ?? null
  }
}

/** Slack's mrkdwn treats these three as markup; everything else passes. */
const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

export const slackPayload = (facts: NotificationFacts): unknown => {
  const revision = facts.revision === undefined ? undefined : parseRevision(facts.revision)
  const mark = facts.type === "Warning" ? ":warning:" : ":white_check_mark:"
  const head = `${facts.subject}: ${facts.reason} (generation ${facts.generation})`
  const details = [
    `app ${facts.appId ?? "-"}`,
    `trace ${facts.traceId ?? "-"}`,
    ...(revision === undefined
      ? []
      : [`revision ${revision.commit.slice(0, 12)}${revision.subject === undefined ? "" : ` "${revision.subject}"`}`])
  ]
  const text = `${mark} ${head}: ${facts.message} (${details.join(", ")})${facts.statusUrl === undefined ? "" : ` ${facts.statusUrl}`}`
  const title = facts.statusUrl === undefined ? escape(head) : `<${facts.statusUrl}|${escape(head)}>`
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `${mark} *${title}*\n${escape(facts.message)}` } },
      {
        type: "context",
        elements: details.map((detail) => ({ type: "mrkdwn", text: escape(detail) }))
      }
    ]
  }
}

export const payloadOf = (format: "slack" | "generic", facts: NotificationFacts): string =>
  JSON.stringify(format === "slack" ? slackPayload(facts) : genericPayload(facts))
