// What `mdeploy get` prints for ServiceInstances, from the spec and status stores: the table (or
// wide, name, yaml, json), then exit 4 naming each requested instance that does not exist (the
// others are still printed). Free of the command-line module, so the parsed command (Get.ts) and
// the quick path (QuickGet.ts) run this same code.
import { Clock, Console, Effect, Option } from "effect"
import type { InstanceName } from "../../../domain/InstanceName.ts"
import type { LabelSelector } from "../../../domain/LabelSelector.ts"
import { matchesSelector } from "../../../domain/LabelSelector.ts"
import type { StoredInstance } from "../../../store/SpecStore.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { StatusStore } from "../../../store/StatusStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import type { OutputFormat } from "../../OutputFormats.ts"
import { instanceTable } from "../../render/InstanceTable.ts"

export interface InstanceQuery {
  /** Instance names; all instances when empty. */
  readonly names: ReadonlyArray<string>
  readonly selector: LabelSelector
  /** Whether `-l` was given (even if empty): then deleted specs' leftovers are not listed. */
  readonly selectorGiven: boolean
  readonly showLabels: boolean
  readonly output: OutputFormat
}

export const listInstances = Effect.fnUntraced(function*(query: InstanceQuery) {
  const { names, selector, selectorGiven, showLabels, output } = query
  const specs = yield* SpecStore
  const statuses = yield* StatusStore
  const missing: Array<string> = []
  let instances: Array<StoredInstance>
  if (names.length === 0) instances = [...(yield* specs.list()).items]
  else {
    instances = []
    for (const name of names) {
      const found = yield* specs.get(name as InstanceName)
      if (Option.isSome(found)) instances.push(found.value)
      else missing.push(name)
    }
  }
  const selected = instances.filter((instance) => matchesSelector(selector, instance.metadata.labels ?? {}))
  const statusMap = yield* statuses.list()
  // Apps of deleted specs are still running until the controller tears them down: list them.
  const specNames = new Set(instances.map((instance) => instance.metadata.name))
  const deleted = names.length > 0 || selectorGiven
    ? []
    : [...statusMap].filter(([name]) => !specNames.has(name)).map(([name, status]) => ({ name, status }))
  const rows = selected.map((instance) => ({ instance, status: statusMap.get(instance.metadata.name) }))
  if (output === "name") {
    for (const row of rows) yield* Console.log(`serviceinstance/${row.instance.metadata.name}`)
  } else if (output === "yaml") {
    // Loaded only here: the YAML library is most of a plain `get`'s start-up otherwise.
    const { toDocument, toYaml } = yield* Effect.promise(() => import("../../render/Documents.ts"))
    if (rows.length > 0) yield* Console.log(toYaml(rows.map((row) => toDocument(row.instance, row.status))).trimEnd())
  } else if (output === "json") {
    const { toDocument, toJson } = yield* Effect.promise(() => import("../../render/Documents.ts"))
    yield* Console.log(toJson(rows.map((row) => toDocument(row.instance, row.status)), names.length === 1 && rows.length === 1).trimEnd())
  } else if (rows.length > 0 || deleted.length > 0) {
    yield* Console.log(instanceTable(rows, output === "wide", yield* Clock.currentTimeMillis, deleted, showLabels))
  } else if (missing.length === 0) {
    yield* Console.error("No ServiceInstances found.")
  }
  if (missing.length > 0) {
    return yield* exitWith(ExitCode.notFound, ...missing.map((name) => `error: serviceinstance "${name}" not found`))
  }
})
