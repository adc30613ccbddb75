// Which notifiers hear of an event (design.md §15): those that list its reason and whose selector
// labels are all on the instance (an empty selector selects everything). Events older than the
// notifier are history to it: a notifier created now does not replay the last hour. Pure.
import type { NotifiableReason } from "../domain/Notifier.ts"
import { notifiableReasons } from "../domain/Notifier.ts"
import type { StoredNotifier } from "../store/NotifierStore.ts"

export const isNotifiable = (reason: string): reason is NotifiableReason => (notifiableReasons as ReadonlyArray<string>).includes(reason)

export const selects = (
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>> | undefined
): boolean => Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value)

export interface Candidate {
  readonly reason: string
  readonly lastTimestamp: string
  readonly labels: Readonly<Record<string, string>> | undefined
}

export const wants = (notifier: Pick<StoredNotifier, "spec" | "metadata">, event: Candidate): boolean =>
  isNotifiable(event.reason) &&
  notifier.spec.events.includes(event.reason) &&
  Date.parse(event.lastTimestamp) >= Date.parse(notifier.metadata.creationTimestamp) &&
  selects(notifier.spec.selector, event.labels)
