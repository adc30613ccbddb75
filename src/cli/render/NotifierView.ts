// Pure: Notifiers as `get notifiers` lists them and `describe notifier NAME` shows one. The endpoint
// is shown by where it comes from — `$VAR` for urlEnv (the value stays in the controller's
// environment), the literal URL with any user and password replaced — so no output carries a secret.
import type { NotifierDelivery } from "../../notify/NotificationLedger.ts"
import { endpointOf, redactedUrl } from "../../domain/Notifier.ts"
import type { StoredNotifier } from "../../store/NotifierStore.ts"
import { formatAge, renderTable } from "./Table.ts"

const selectorText = (notifier: StoredNotifier): string => {
  const entries = Object.entries(notifier.spec.selector ?? {})
  return entries.length === 0 ? "<all>" : entries.map(([key, value]) => `${key}=${value}`).join(",")
}

/** The document as `-o yaml|json` prints it: a literal URL redacted. */
export const shownNotifier = (notifier: StoredNotifier): StoredNotifier =>
  notifier.spec.url === undefined ? notifier : { ...notifier, spec: { ...notifier.spec, url: redactedUrl(notifier.spec.url) } }

export const notifierTable = (notifiers: ReadonlyArray<StoredNotifier>, nowMillis: number): string =>
  renderTable(
    ["NAME", "FORMAT", "ENDPOINT", "EVENTS", "SELECTOR", "SIGNED", "AGE"],
    notifiers.map((notifier) => [
      notifier.metadata.name,
      notifier.spec.format,
      endpointOf(notifier.spec),
      notifier.spec.events.join(","),
      selectorText(notifier),
      notifier.spec.secretEnv === undefined ? "no" : `$${notifier.spec.secretEnv}`,
      formatAge(Date.parse(notifier.metadata.creationTimestamp), nowMillis)
    ])
  )

export const notifierDescription = (notifier: StoredNotifier, deliveries: ReadonlyArray<NotifierDelivery>): string => {
  const lines = [
    `Name:        ${notifier.metadata.name}`,
    `Format:      ${notifier.spec.format}`,
    `Endpoint:    ${endpointOf(notifier.spec)}`,
    `Events:      ${notifier.spec.events.join(", ")}`,
    `Selector:    ${selectorText(notifier)}`,
    `Signature:   ${notifier.spec.secretEnv === undefined ? "none" : `X-Signature (HMAC-SHA256, key from $${notifier.spec.secretEnv})`}`,
    `Generation:  ${notifier.metadata.generation}`,
    `Created:     ${notifier.metadata.creationTimestamp}`,
    "",
    "Deliveries:"
  ]
  if (deliveries.length === 0) lines.push("  <none recorded>")
  else {
    const table = renderTable(
      ["SUBJECT", "GENERATION", "EVENT", "STATE", "ATTEMPTS", "AT"],
      deliveries.map((delivery) => [
        delivery.subject,
        String(delivery.generation),
        delivery.reason,
        delivery.record.state,
        String(delivery.record.attempts ?? 0),
        delivery.record.at
      ])
    )
    lines.push(...table.split("\n").map((line) => `  ${line}`))
  }
  return lines.join("\n")
}
