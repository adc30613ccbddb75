// The chaos soak's invariants, checked on what the soak saw with its own eyes: every Marathon request
// the controllers made (recorded by a proxy, with its answer), the soak's own spec edits, and polls of
// the emulator's state. Pure: no I/O, no clock; the soak feeds it in time order and reads violations.
// It must never trust the controller's account (status, logs), only the wire and the emulator.
import { capacityFloor } from "../../src/bounce/Crossover.ts"
import { instanceNameOf } from "../../src/domain/AppIdentity.ts"

export type InvariantName = "foreignWrite" | "createdTwice" | "killedTwice" | "capacityFloor" | "deletionBudget"

export interface Violation {
  readonly invariant: InvariantName
  readonly at: number
  readonly message: string
}

/** One Marathon request as the proxy saw it; `status` undefined: no answer reached the proxy. */
export interface ProxyRecord {
  readonly at: number
  readonly controller: string
  readonly method: string
  /** Path with its query string, as sent. */
  readonly path: string
  readonly body: string
  readonly status: number | undefined
}

export type ForeignKind = "unmanaged" | "otherOwner"

export interface TaskView {
  readonly id: string
  readonly state: string
  readonly healthy: boolean
}
export interface AppView {
  readonly id: string
  readonly instances: number
  readonly tasks: ReadonlyArray<TaskView>
}
export interface Snapshot {
  readonly at: number
  readonly apps: ReadonlyArray<AppView>
}

/** What the soak asked of one instance, as far as the capacity floor cares. */
export interface InstanceModel {
  readonly name: string
  readonly method: string
  readonly instances: number
  readonly marginFactor: number
  readonly generation: number
  readonly paused: boolean
  readonly stopped: boolean
  readonly deleted: boolean
}
export interface StatusView {
  readonly phase?: string | undefined
  readonly observedGeneration?: number | undefined
}

export interface InvariantOptions {
  readonly foreign: ReadonlyMap<string, ForeignKind>
  readonly cleanupWindowMs: number
  readonly cleanupMaxFraction: number
}

export interface Write {
  readonly kind: "create" | "update" | "delete" | "kill" | "other"
  readonly appIds: ReadonlyArray<string>
  readonly taskIds: ReadonlyArray<string>
}

const ok = (status: number | undefined) => status !== undefined && status >= 200 && status < 300

const idsIn = (body: string): Array<string> => {
  try {
    const parsed = JSON.parse(body) as unknown
    const list = Array.isArray(parsed) ? parsed : [parsed]
    return list.flatMap((
      item
    ) => (typeof item === "object" && item !== null && typeof (item as { id?: unknown }).id === "string"
      ? [(item as { id: string }).id]
      : [])
    )
  } catch {
    return []
  }
}

/** `<safeId>.instance-<uuid>…` (or the older `.marathon-`/`_` forms): the app is `/` + safeId. */
export const appOfTask = (taskId: string): string => {
  const match = /^(.+?)\.(instance-|marathon-)/.exec(taskId) ?? /^(.+)[._][^._]+$/.exec(taskId)
  return `/${(match?.[1] ?? taskId).replace(/_/g, "/")}`
}

/** The Marathon write a request is, or undefined for reads and anything outside /v2. */
export const writeOf = (record: Pick<ProxyRecord, "method" | "path" | "body">): Write | undefined => {
  const method = record.method.toUpperCase()
  if (method === "GET" || method === "HEAD") return undefined
  const path = decodeURIComponent(record.path.split("?")[0]!)
  if (!path.startsWith("/v2/")) return undefined
  if (path === "/v2/apps") return { kind: method === "POST" ? "create" : "update", appIds: idsIn(record.body), taskIds: [] }
  if (path === "/v2/tasks/delete") {
    let taskIds: Array<string> = []
    try {
      const ids = (JSON.parse(record.body) as { ids?: unknown }).ids
      taskIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : []
    } catch {
      taskIds = []
    }
    return { kind: "kill", appIds: [...new Set(taskIds.map(appOfTask))], taskIds }
  }
  const task = /^\/v2\/apps(\/.+)\/tasks\/([^/]+)$/.exec(path)
  if (task !== null) return { kind: "kill", appIds: [task[1]!], taskIds: [task[2]!] }
  const tasks = /^\/v2\/apps(\/.+)\/tasks$/.exec(path)
  if (tasks !== null) return { kind: "kill", appIds: [tasks[1]!], taskIds: [] }
  const restart = /^\/v2\/apps(\/.+)\/restart$/.exec(path)
  if (restart !== null) return { kind: "update", appIds: [restart[1]!], taskIds: [] }
  const app = /^\/v2\/apps(\/.+)$/.exec(path)
  if (app !== null) return { kind: method === "DELETE" ? "delete" : "update", appIds: [app[1]!], taskIds: [] }
  return { kind: "other", appIds: [], taskIds: [] }
}

/**
 * The floor of one crossover instance: ceil(instances × marginFactor) once the instance was seen
 * Running at its current generation, with `instances` the smaller of the count it was Running at
 * and the count asked now (a scale-down lowers the floor at once, a scale-up only once reached).
 * Other methods, paused, stopped and deleted instances have none, and they start over afterwards.
 */
export class FloorTracker {
  private readonly established = new Map<string, number>()

  floor(model: InstanceModel, status: StatusView | undefined): number {
    if (model.method !== "crossover" || model.paused || model.stopped || model.deleted) {
      this.established.delete(model.name)
      return 0
    }
    if (status?.phase === "Running" && status.observedGeneration === model.generation) this.established.set(model.name, model.instances)
    const reached = this.established.get(model.name)
    if (reached === undefined) return 0
    const instances = Math.min(reached, model.instances)
    this.established.set(model.name, instances)
    return capacityFloor(instances, model.marginFactor)
  }
}

/** How long after a spec came back a DELETE of its instance may still be a tear-down decided while it was gone. */
const lateTeardownGraceMs = 5_000

/** Accumulates the soak's evidence in time order and says which invariant broke, when and how. */
export class SoakInvariants {
  readonly violations: Array<Violation> = []
  /** How much evidence was checked, so a clean run can be told from an idle one. */
  readonly checked = { writes: 0, creates: 0, kills: 0, teardowns: 0, polls: 0, floorChecks: 0 }
  private readonly options: InvariantOptions
  /** Per instance, its spec's presence over time: [at, present]. */
  private readonly specs = new Map<string, Array<readonly [number, boolean]>>()
  private readonly created = new Map<string, ProxyRecord>()
  /** App ids deleted (any answer) while their instance had no spec, since their last creation. */
  private readonly tornDownSinceCreate = new Set<string>()
  private readonly killed = new Map<string, ProxyRecord>()
  private readonly teardowns: Array<{ readonly at: number; readonly name: string }> = []
  private readonly counted = new Set<string>()
  /** App ids and when a DELETE of theirs last succeeded. */
  private readonly removed = new Map<string, number>()
  private readonly managedSamples: Array<readonly [number, number]> = []
  private readonly damaged = new Set<string>()

  constructor(options: InvariantOptions) {
    this.options = options
  }

  private violate(invariant: InvariantName, at: number, message: string): void {
    this.violations.push({ invariant, at, message })
  }

  /** The soak wrote (`present`) or deleted a spec at `at`. */
  spec(at: number, name: string, present: boolean): void {
    const timeline = this.specs.get(name) ?? []
    timeline.push([at, present])
    this.specs.set(name, timeline)
  }

  private specAt(name: string, at: number): { present: boolean; since: number } {
    const timeline = this.specs.get(name) ?? []
    let found: readonly [number, boolean] | undefined
    for (const entry of timeline) if (entry[0] <= at) found = entry
    return found === undefined ? { present: false, since: 0 } : { present: found[1], since: found[0] }
  }

  /** Whether the spec was absent at any moment of [from, to]; `since` is when that absence began. */
  private absentBetween(name: string, from: number, to: number): { absent: boolean; since: number } {
    const start = this.specAt(name, from)
    if (!start.present) return { absent: true, since: start.since }
    for (const [at, present] of this.specs.get(name) ?? []) if (!present && at > from && at <= to) return { absent: true, since: at }
    return { absent: false, since: 0 }
  }

  /** When the spec last appeared (absent → present) at or before `at`; 0 when it never did. */
  private appearedAt(name: string, at: number): number {
    let appeared = 0
    let present = false
    for (const [when, now] of this.specs.get(name) ?? []) {
      if (when > at) break
      if (now && !present) appeared = when
      present = now
    }
    return appeared
  }

  /**
   * Whether the DELETE of `appId` at `at` tore down a deleted instance, and since when its spec
   * was gone. It did when the spec was absent then, or came back only moments before (a pass
   * decided while it was gone may land just after: Marathon has no transaction with etcd) —
   * unless an app created since the spec's last appearance outlived the DELETE: that is a bounce
   * of the spec's last incarnation retiring an older app, which a tear-down never leaves behind.
   */
  private teardownSince(name: string, appId: string, at: number): number | undefined {
    const now = this.specAt(name, at)
    const late = now.present ? this.absentBetween(name, at - lateTeardownGraceMs, at) : undefined
    if (late !== undefined && !late.absent) return undefined
    const since = now.present ? late!.since : now.since
    const appeared = this.appearedAt(name, since)
    for (const [otherId, created] of this.created) {
      if (otherId === appId || instanceNameOf(otherId) !== name || created.at < appeared || created.at > at) continue
      const removedAt = this.removed.get(otherId)
      if (removedAt === undefined || removedAt > at || removedAt < created.at) return undefined
    }
    return since
  }

  private foreign(appId: string): ForeignKind | undefined {
    return this.options.foreign.get(appId)
  }

  /** A request once its answer (or the lack of one) is known. */
  request(record: ProxyRecord): void {
    const write = writeOf(record)
    if (write === undefined) return
    this.checked.writes++
    const who = `${record.controller}: ${record.method} ${record.path} → ${record.status ?? "no answer"}`
    for (const appId of write.appIds) {
      const kind = this.foreign(appId)
      if (kind !== undefined) this.violate("foreignWrite", record.at, `${kind} app ${appId} written by ${who}`)
    }
    if (write.kind === "create" && record.status === 201) {
      for (const appId of write.appIds) {
        this.checked.creates++
        const first = this.created.get(appId)
        if (first !== undefined && !this.tornDownSinceCreate.has(appId)) {
          this.violate(
            "createdTwice",
            record.at,
            `${appId} created again by ${who} (first by ${first.controller} at ${
              first.at.toFixed(0)
            } ms) without a tear-down of a deleted spec in between`
          )
        }
        this.created.set(appId, record)
        this.tornDownSinceCreate.delete(appId)
      }
    }
    if (write.kind === "delete") {
      for (const appId of write.appIds) {
        const name = instanceNameOf(appId)
        if (name === undefined || this.foreign(appId) !== undefined) continue
        // A tear-down decided while the spec was gone may land just after it came back: Marathon
        // has no transaction with etcd, so the spec need only have been absent since the creation.
        if (ok(record.status)) this.removed.set(appId, record.at)
        const spec = this.absentBetween(name, this.created.get(appId)?.at ?? 0, record.at)
        if (!spec.absent) continue
        this.tornDownSinceCreate.add(appId)
        if (!ok(record.status)) continue
        const since = this.teardownSince(name, appId, record.at)
        if (since !== undefined) this.teardown(record.at, name, since)
      }
    }
    if (write.kind === "kill" && ok(record.status)) {
      for (const taskId of write.taskIds) {
        this.checked.kills++
        const first = this.killed.get(taskId)
        if (first !== undefined) {
          this.violate(
            "killedTwice",
            record.at,
            `task ${taskId} killed again by ${who} (first by ${first.controller} at ${first.at.toFixed(0)} ms)`
          )
        } else this.killed.set(taskId, record)
      }
    }
  }

  private managedAt(at: number): number | undefined {
    let found: number | undefined
    for (const [sampleAt, count] of this.managedSamples) if (sampleAt <= at) found = count
    return found
  }

  /** One instance whose spec is gone lost its apps: one tear-down per deletion of its spec. */
  private teardown(at: number, name: string, deletedAt: number): void {
    const key = `${name}@${deletedAt}`
    if (this.counted.has(key)) return
    this.counted.add(key)
    this.teardowns.push({ at, name })
    this.checked.teardowns++
    const { cleanupWindowMs: window, cleanupMaxFraction: fraction } = this.options
    // The worst windows start at a tear-down; the managed count is the last poll before it. One
    // violation per tear-down that should have been refused, naming the window it overfills most.
    let worst:
      | { readonly start: number; readonly managed: number; readonly names: ReadonlyArray<string>; readonly excess: number }
      | undefined
    for (const start of this.teardowns) {
      if (start.at > at || at - start.at >= window) continue
      const managed = this.managedAt(start.at)
      if (managed === undefined) continue
      // Distinct instances: one deleted, re-created and deleted again counts once per window.
      const names = [...new Set(this.teardowns.filter((t) => t.at >= start.at && t.at < start.at + window).map((t) => t.name))]
      const excess = names.length >= managed ? Infinity : names.length - fraction * managed
      if (excess > 0 && (worst === undefined || excess > worst.excess)) worst = { start: start.at, managed, names, excess }
    }
    if (worst !== undefined) {
      this.violate(
        "deletionBudget",
        at,
        `${name} torn down as the ${worst.names.length}th instance within ${window / 1000} s of ${
          worst.start.toFixed(0)
        } ms, over ${fraction} × ${worst.managed} managed then: ${worst.names.join(", ")}`
      )
    }
  }

  /**
   * One poll of the emulator: foreign apps must be exactly as seeded, and each instance's happy
   * tasks (running and healthy, over its own apps) at least its floor.
   */
  snapshot(snapshot: Snapshot, foreignInstances: ReadonlyMap<string, number>, floors: ReadonlyMap<string, number>): void {
    const byId = new Map(snapshot.apps.map((app) => [app.id, app]))
    for (const [appId, instances] of foreignInstances) {
      const app = byId.get(appId)
      // Once per app and kind of damage: the write that did it was reported on its own.
      const damage = app === undefined
        ? "is gone from Marathon"
        : app.instances !== instances
        ? `has ${app.instances} instances, seeded with ${instances}`
        : undefined
      if (damage === undefined || this.damaged.has(`${appId} ${damage}`)) continue
      this.damaged.add(`${appId} ${damage}`)
      this.violate("foreignWrite", snapshot.at, `${this.foreign(appId) ?? "foreign"} app ${appId} ${damage}`)
    }
    const managed = new Set<string>()
    const happy = new Map<string, number>()
    for (const app of snapshot.apps) {
      const name = instanceNameOf(app.id)
      if (name === undefined || this.foreign(app.id) !== undefined) continue
      managed.add(name)
      happy.set(name, (happy.get(name) ?? 0) + app.tasks.filter((task) => task.state === "TASK_RUNNING" && task.healthy).length)
    }
    this.managedSamples.push([snapshot.at, managed.size])
    this.checked.polls++
    for (const [name, floor] of floors) {
      if (floor > 0) this.checked.floorChecks++
      const count = happy.get(name) ?? 0
      if (count < floor) this.violate("capacityFloor", snapshot.at, `${name}: ${count} happy tasks, floor ${floor}`)
    }
  }

  /** Violations per invariant, every name present. */
  summary(): Record<InvariantName, number> {
    const counts: Record<InvariantName, number> = { foreignWrite: 0, createdTwice: 0, killedTwice: 0, capacityFloor: 0, deletionBudget: 0 }
    for (const violation of this.violations) counts[violation.invariant]++
    return counts
  }
}
