// `mdeploy get -w`: kubectl's live table. The table once both the spec and the status prefix have
// been listed, then one line per change to a listed instance, driven by etcd watches (informers),
// never by polling. Runs until a signal (exit 0); a lost etcd ends it with one line and exit 2.
import { Clock, Console, Duration, Effect, Stream } from "effect"
import type { InstanceStatus as Status } from "../domain/InstanceStatus.ts"
import type { LabelSelector } from "../domain/LabelSelector.ts"
import { matchesSelector } from "../domain/LabelSelector.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import type { InformerEvent } from "../store/Informer.ts"
import { informer } from "../store/Informer.ts"
import { makeKeys } from "../store/Keys.ts"
import type { StoredInstance } from "../store/SpecStore.ts"
import { parseStored } from "../store/SpecStore.ts"
import { ExitCode, exitWith } from "./CliExit.ts"
import { parseStatus } from "./commands/rollout/watchInstance.ts"
import { instanceTable } from "./render/InstanceTable.ts"

export interface WatchTableOptions {
  readonly names: ReadonlyArray<string>
  readonly selector: LabelSelector
  readonly selectorGiven: boolean
  readonly wide: boolean
  readonly showLabels: boolean
}

type Change =
  | { readonly source: "spec"; readonly event: InformerEvent<StoredInstance> }
  | { readonly source: "status"; readonly event: InformerEvent<Status> }

/** How often the watch checks that etcd still answers (the informers relist quietly for ever). */
const probeInterval = Duration.seconds(2)

/**
 * Pure: the table of what is known now, as lines keyed by instance name (header under ""). The
 * same filter as `get`: named instances, the selector, and apps of deleted specs only when neither
 * narrows the list.
 */
export const tableLines = (
  specs: ReadonlyMap<string, StoredInstance>,
  statuses: ReadonlyMap<string, Status>,
  options: WatchTableOptions,
  nowMillis: number
): Map<string, string> => {
  const wanted = (name: string) => options.names.length === 0 || options.names.includes(name)
  const rows = [...specs.values()]
    .filter((instance) => wanted(instance.metadata.name) && matchesSelector(options.selector, instance.metadata.labels ?? {}))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((instance) => ({ instance, status: statuses.get(instance.metadata.name) }))
  const deleted = options.names.length > 0 || options.selectorGiven ? [] : [...statuses]
    .filter(([name]) => !specs.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, status]) => ({ name, status }))
  const lines = instanceTable(rows, options.wide, nowMillis, deleted, options.showLabels).split("\n")
  const order = ["", ...rows.map((row) => row.instance.metadata.name), ...deleted.map((row) => row.name)]
  return new Map(order.map((name, index) => [name, lines[index] ?? ""]))
}

/** A line's content without its alignment and its AGE, which changes without any write. */
const signature = (line: string): string => line.split(/\s{3,}/).filter((_, column) => column !== 5).join("|")

export const watchTable = Effect.fnUntraced(function*(options: WatchTableOptions) {
  const etcd = yield* EtcdClient
  const keys = makeKeys(etcd.prefix)
  const specs = new Map<string, StoredInstance>()
  const statuses = new Map<string, Status>()
  const printed = new Map<string, string>()
  let specSynced = false
  let statusSynced = false
  let started = false
  let headerShown = false

  const show = (name: string, line: string) =>
    Effect.gen(function*() {
      const current = signature(line)
      if (printed.get(name) === current) return
      printed.set(name, current)
      yield* Console.log(line)
    })

  const apply = (change: Change): string | undefined => {
    const event = change.event
    if (event._tag === "Synced") {
      if (change.source === "spec") specSynced = true
      else statusSynced = true
      return undefined
    }
    if (change.source === "spec") {
      const name = event.key.slice(keys.specs.length)
      if (event._tag === "Upsert") specs.set(name, event.value as StoredInstance)
      else specs.delete(name)
      return name
    }
    const name = event.key.slice(keys.statuses.length)
    if (event._tag === "Upsert") statuses.set(name, event.value as Status)
    else statuses.delete(name)
    return name
  }

  const handle = (change: Change) =>
    Effect.gen(function*() {
      const touched = apply(change)
      if (!specSynced || !statusSynced) return
      const lines = tableLines(specs, statuses, options, yield* Clock.currentTimeMillis)
      if (!started) {
        started = true
        if (lines.size === 1) return yield* Console.error("No ServiceInstances found; watching.")
        headerShown = true
        for (const [name, line] of lines) yield* show(name, line)
        return
      }
      if (touched === undefined) return
      const line = lines.get(touched)
      if (line === undefined) return
      if (!headerShown) {
        headerShown = true
        yield* Console.log(lines.get("") ?? "")
      }
      yield* show(touched, line)
    })

  const specEvents = informer<StoredInstance>({ prefix: keys.specs, parse: parseStored }).pipe(
    Stream.map((event): Change => ({ source: "spec", event }))
  )
  const statusEvents = informer<Status>({ prefix: keys.statuses, parse: parseStatus }).pipe(
    Stream.map((event): Change => ({ source: "status", event }))
  )
  const followed = Stream.merge(specEvents, statusEvents).pipe(Stream.runForEach(handle))
  const probe = Effect.sleep(probeInterval).pipe(
    Effect.andThen(etcd.callIdempotent("get --watch probe", (client) => client.get(keys.leader).exec())),
    Effect.forever,
    Effect.mapError((error) => exitWith(ExitCode.error, `error: lost etcd while watching: ${error.oneLine}`))
  )
  return yield* Effect.raceFirst(followed, probe)
})
