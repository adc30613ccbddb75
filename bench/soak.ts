// `make soak`: the chaos soak. Two controllers (leader + standby) on a 3-member etcd and the
// emulator, ~30 instances of every bounce and drain method, foreign apps they must never touch,
// continuous spec edits and deletions, and seeded random faults for `--minutes` (default 10). Every
// Marathon request and a poll of the emulator every 500 ms are checked against the invariants of
// internal/soakInvariants.ts; then faults stop, deleted specs come back and every instance must
// converge. Prints one line, `soak: M minutes, F faults, V violations, converged yes|no`, writes
// bench/results/soak.json and exits 1 on any violation or non-convergence (diagnostics: stderr).
import { randomUUID } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { belongsTo } from "../src/domain/AppIdentity.ts"
import type { InstanceName } from "../src/domain/InstanceName.ts"
import { Chaos } from "./internal/soakChaos.ts"
import {
  type AppView,
  FloorTracker,
  type ProxyRecord,
  type Snapshot,
  SoakInvariants,
  type StatusView,
  writeOf
} from "./internal/soakInvariants.ts"
import {
  bounceMethods,
  edit,
  type EditKind,
  foreignApps,
  initialSpec,
  instanceName,
  modelOf,
  seeded,
  type SoakInstance,
  storedSpec,
  takeDown
} from "./internal/soakSpecs.ts"
import { controllerHasFlag, type SoakStack, startSoakStack } from "./internal/soakStack.ts"
import { call, sleep } from "./internal/util.ts"

const { values } = parseArgs({
  options: { minutes: { type: "string", default: "10" }, seed: { type: "string" }, instances: { type: "string", default: "30" } },
  strict: true
})
const minutes = Number(values.minutes)
const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed)
const count = Number(values.instances)
const rng = seeded(seed)
const started = performance.now()
const log = (message: string) => process.stderr.write(`[soak +${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`)

const foreign = foreignApps()
const invariants = new SoakInvariants({
  foreign: new Map(foreign.map((app) => [String(app.definition["id"]), app.kind])),
  cleanupWindowMs: 600_000,
  cleanupMaxFraction: 0.5
})
const foreignInstances = new Map(foreign.map((app) => [String(app.definition["id"]), Number(app.definition["instances"])]))
const requests = new Map<string, number>()
// The last writes, to show what led to a broken floor (the invariant itself only sees counts).
const recentWrites: Array<ProxyRecord> = []
const explained = new Map<string, number>()
const explainFloor = (name: string, at: number) => {
  if (at - (explained.get(name) ?? -Infinity) < 30_000) return
  explained.set(name, at)
  const prefix = `${name}.`
  const writes = recentWrites.filter((r) => r.at > at - 15_000 && (r.path.includes(prefix) || r.body.includes(prefix)))
  for (const r of writes) {
    log(
      `  ${name}: ${((r.at - started) / 1000).toFixed(1)}s ${r.controller} ${r.method} ${r.path} ${r.body.slice(0, 160)} → ${
        r.status ?? "no answer"
      }`
    )
  }
}
const report = (record: ProxyRecord) => {
  const write = writeOf(record)
  if (write !== undefined) {
    recentWrites.push(record)
    if (recentWrites.length > 5_000) recentWrites.splice(0, 1_000)
  }
  const key = `${record.controller} ${write === undefined ? "read" : write.kind} ${record.status ?? "none"}`
  requests.set(key, (requests.get(key) ?? 0) + 1)
  const before = invariants.violations.length
  invariants.request(record)
  for (const violation of invariants.violations.slice(before)) log(`VIOLATION ${violation.invariant}: ${violation.message}`)
}

const ownerFlag = controllerHasFlag("--owner")
log(
  `seed ${seed}, ${minutes} minutes, ${count} instances; controller --owner ${ownerFlag ? "present: --owner soak" : "absent: not passed"}`
)
let stack: SoakStack | undefined
let chaosSoFar: Chaos | undefined
let closing = false
const shutdown = async (keepLogs: boolean) => {
  if (closing) return
  closing = true
  await stack?.close(keepLogs).catch((error: unknown) => log(`cleanup: ${String(error)}`))
}
// Whatever happens, no etcd or controller outlives the soak.
process.on("exit", () => stack?.killNow())
process.on("uncaughtException", (error) => {
  log(`crashed: ${error.stack ?? error.message}`)
  process.stdout.write(
    `soak: ${minutes} minutes, ${chaosSoFar?.events.length ?? 0} faults, ${invariants.violations.length} violations, converged no\n`
  )
  void shutdown(true).then(() => process.exit(1))
})
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every child process`)
    process.stdout.write(
      `soak: ${minutes} minutes, ${chaosSoFar?.events.length ?? 0} faults, ${invariants.violations.length} violations, converged no\n`
    )
    void shutdown(true).then(() => process.exit(130))
  })
}

/** Retries an etcd operation through member restarts; throws after ~15 s. */
const retry = async <A>(what: string, run: () => Promise<A>): Promise<A> => {
  for (let attempt = 0;; attempt++) {
    try {
      return await Promise.race([run(), sleep(3_000).then(() => Promise.reject(new Error("timeout")))])
    } catch (error) {
      if (attempt >= 5) throw new Error(`${what}: ${String(error)}`)
      await sleep(500)
    }
  }
}

const main = async (s: SoakStack): Promise<boolean> => {
  const specKey = (instance: SoakInstance) => `${s.prefix}/specs/${instance.name}`
  const put = async (instance: SoakInstance) => {
    await retry(`put ${instance.name}`, () => s.client.put(specKey(instance)).value(storedSpec(instance)).exec())
    invariants.spec(performance.now(), instance.name, true)
  }
  /** Deletes in one etcd transaction; the invariants learn of it before it is issued. */
  const remove = async (victims: ReadonlyArray<SoakInstance>) => {
    const at = performance.now()
    for (const victim of victims) {
      invariants.spec(at, victim.name, false)
      victim.present = false
      victim.deletedAt = at
    }
    const [first] = victims
    await retry(
      `delete ${victims.map((v) => v.name).join(",")}`,
      () => s.client.if(specKey(first!), "Create", ">", 0).then(...victims.map((v) => s.client.delete().key(specKey(v)))).commit()
    )
  }

  for (const app of foreign) {
    const answer = await call(`${s.sim.url}/v2/apps`, "POST", app.definition)
    if (answer.status !== 201) throw new Error(`seeding ${String(app.definition["id"])}: ${answer.status} ${answer.body}`)
  }
  const instances: Array<SoakInstance> = Array.from({ length: count }, (_, index) => ({
    name: instanceName(index),
    spec: initialSpec(index, s.drain.port, rng),
    generation: 1,
    uid: randomUUID(),
    present: true,
    deletedAt: undefined
  }))
  for (const instance of instances) await put(instance)
  for (const slot of s.slots) await s.startSlot(slot)
  log(`stack up: etcd ${s.etcd.endpoints}, emulator ${s.sim.url}, drain backend port ${s.drain.port}, logs ${s.logDir}`)

  // Polls: the emulator's own state (never faulted) and the statuses, every 500 ms, all run long.
  const floors = new FloorTracker()
  let statuses = new Map<string, StatusView & { appId?: string }>()
  let lastApps: ReadonlyArray<AppView> = []
  let polling = true
  const poll = async () => {
    const at = performance.now()
    const state = JSON.parse((await call(`${s.sim.url}/__sim/state`, "GET")).body) as {
      apps: Array<{ id: string; instances: number }>
      tasks: Array<{ taskId: string; appId: string; state: string; healthy: boolean }>
    }
    const tasks = new Map<string, Array<{ id: string; state: string; healthy: boolean }>>()
    for (const task of state.tasks) {
      tasks.set(task.appId, [...(tasks.get(task.appId) ?? []), { id: task.taskId, state: task.state, healthy: task.healthy }])
    }
    const snapshot: Snapshot = {
      at,
      apps: state.apps.map((app) => ({ id: app.id, instances: app.instances, tasks: tasks.get(app.id) ?? [] }))
    }
    lastApps = snapshot.apps
    const read = await Promise.race([s.client.getAll().prefix(`${s.prefix}/status/`).strings(), sleep(1_000).then(() => undefined)]).catch(
      () => undefined
    )
    if (read !== undefined) {
      statuses = new Map(Object.entries(read).map(([key, value]) => [key.slice(`${s.prefix}/status/`.length), JSON.parse(value)]))
    }
    const floorOf = new Map(
      instances.map((
        instance
      ) => [instance.name, floors.floor(modelOf(instance), read === undefined ? undefined : statuses.get(instance.name))])
    )
    const before = invariants.violations.length
    invariants.snapshot(snapshot, foreignInstances, floorOf)
    for (const violation of invariants.violations.slice(before)) {
      log(`VIOLATION ${violation.invariant}: ${violation.message}`)
      if (violation.invariant === "capacityFloor") explainFloor(violation.message.slice(0, violation.message.indexOf(":")), at)
    }
  }
  const polls = (async () => {
    while (polling) {
      await poll().catch((error: unknown) => log(`poll: ${String(error)}`))
      await sleep(500)
    }
  })()

  const converged = (instance: SoakInstance): string | undefined => {
    const status = statuses.get(instance.name)
    if (status?.observedGeneration !== instance.generation) {
      return `observedGeneration ${status?.observedGeneration} of ${instance.generation}`
    }
    const own = lastApps.filter((app) => belongsTo(app.id, instance.name as InstanceName) && !foreignInstances.has(app.id))
    const happy = own.flatMap((app) => app.tasks).filter((task) => task.state === "TASK_RUNNING" && task.healthy).length
    if (instance.spec.bounce.method === "down") return happy === 0 ? undefined : `down: ${happy} tasks left`
    if (instance.spec["desiredState"] === "stop") {
      return status.phase === "Stopped" && happy === 0
        ? undefined
        : `${status.phase}, ${happy} happy, want Stopped`
    }
    if (status.phase !== "Running") return `phase ${status.phase}`
    if (own.length !== 1 || own[0]!.id !== status.appId) return `apps ${own.map((app) => app.id).join(", ")}, status says ${status.appId}`
    return happy === instance.spec.instances ? undefined : `${happy} happy of ${instance.spec.instances}`
  }
  const waitConverged = async (timeoutMs: number, share: number) => {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const pending = instances.filter((instance) => instance.present && converged(instance) !== undefined)
      if (pending.length <= (1 - share) * instances.length) return pending
      if (performance.now() > deadline) return pending
      await sleep(1_000)
    }
  }

  const warm = await waitConverged(120_000, 0.9)
  log(`warm-up: ${count - warm.length} of ${count} converged; chaos for ${minutes} minutes`)

  let counter = 0
  for (const [index, instance] of instances.entries()) {
    if (bounceMethods[index % bounceMethods.length] !== "down") continue
    instance.spec = takeDown(instance.spec, ++counter, rng)
    instance.generation++
    await put(instance)
  }
  const chaos = new Chaos(s, rng, log)
  chaosSoFar = chaos
  const until = performance.now() + minutes * 60_000
  const edits = async () => {
    const kinds: ReadonlyArray<EditKind> = ["image", "image", "env", "instances", "instances", "pause", "forceBounce", "desiredState"]
    while (performance.now() < until) {
      await sleep(rng.int(300, 2_000))
      counter++
      const present = instances.filter((instance) => instance.present)
      const deleted = instances.filter((instance) => !instance.present && performance.now() - instance.deletedAt! > 15_000)
      const roll = rng.next()
      try {
        if (roll < 0.05 && present.length > count * 0.5) {
          const victim = rng.pick(present)
          log(`delete ${victim.name}`)
          await remove([victim])
        } else if (roll < 0.075 && present.length > count * 0.6) {
          const victims = [...present].sort(() => rng.next() - 0.5).slice(0, rng.int(2, 5))
          log(`delete ${victims.map((v) => v.name).join(", ")} in one transaction`)
          await remove(victims)
        } else if (roll < 0.15 && deleted.length > 0) {
          const back = rng.pick(deleted)
          back.present = true
          back.deletedAt = undefined
          // The CLI would start again at 1; a count that goes on keeps a status left from the
          // previous incarnation (observedGeneration 1, Running) from passing for the new one.
          back.generation++
          back.uid = randomUUID()
          log(`re-create ${back.name}`)
          await put(back)
        } else if (present.length > 0) {
          const instance = rng.pick(present)
          const kind = rng.pick(kinds)
          instance.spec = edit(instance.spec, kind, counter, rng)
          instance.generation++
          await put(instance)
        }
      } catch (error) {
        log(`edit failed: ${String(error)}`)
      }
    }
  }
  await Promise.all([edits(), chaos.run(until, 4_000, 15_000)])

  log(`chaos over: ${chaos.events.length} faults; calming down, restoring deleted specs, resuming paused ones`)
  await chaos.calm()
  // Every spec is written once more, so a write lost to a fault cannot leave etcd behind the model.
  for (const instance of instances) {
    if (!instance.present) {
      instance.present = true
      instance.deletedAt = undefined
      instance.generation++
      instance.uid = randomUUID()
    } else if (instance.spec["paused"] === true) instance.generation++
    if (instance.spec["paused"] !== undefined) instance.spec = { ...instance.spec, paused: false }
    await put(instance)
  }
  const pending = await waitConverged(180_000, 1)
  for (const instance of pending) {
    // What etcd holds, to tell a controller that missed an update from a write the soak lost.
    const stored = await s.client.get(specKey(instance)).string().catch(() => null)
    const generation = stored === null ? "none" : (JSON.parse(stored) as { metadata: { generation: number } }).metadata.generation
    const status = statuses.get(instance.name)
    log(
      `not converged: ${instance.name}: ${converged(instance)}; etcd spec generation ${generation}; status ${
        JSON.stringify({ phase: status?.phase, observedGeneration: status?.observedGeneration, appId: status?.appId })
      }`
    )
  }
  polling = false
  await polls

  const summary = invariants.summary()
  const violations = invariants.violations.length
  const result = {
    name: "soak",
    seed,
    minutes,
    instances: count,
    ownerFlag,
    faults: chaos.events.length,
    faultsByKind: Object.fromEntries(
      [...new Set(chaos.events.map((e) => e.kind))].map((kind) => [kind, chaos.events.filter((e) => e.kind === kind).length])
    ),
    violations,
    byInvariant: summary,
    checked: invariants.checked,
    converged: pending.length === 0,
    notConverged: pending.map((instance) => ({ name: instance.name, why: converged(instance) })),
    requests: Object.fromEntries([...requests].sort()),
    drainCalls: Object.fromEntries(s.drain.calls),
    controllerStarts: Object.fromEntries(s.slots.map((slot) => [slot.name, slot.starts])),
    seconds: (performance.now() - started) / 1000,
    faultLog: chaos.events.map((event) => ({ ...event, at: Math.round(event.at - started) })),
    violationLog: invariants.violations.slice(0, 500).map((violation) => ({ ...violation, at: Math.round(violation.at - started) }))
  }
  const dir = join(import.meta.dirname, "results")
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "soak.json"), `${JSON.stringify(result, null, 2)}\n`)
  log(`checked ${JSON.stringify(invariants.checked)}`)
  log(`violations by invariant: ${JSON.stringify(summary)}; report bench/results/soak.json; controller logs ${s.logDir}`)
  process.stdout.write(
    `soak: ${minutes} minutes, ${chaos.events.length} faults, ${violations} violations, converged ${pending.length === 0 ? "yes" : "no"}\n`
  )
  return violations === 0 && pending.length === 0
}

let passed = false
try {
  stack = await startSoakStack({ seed, report, log, extraFlags: ownerFlag ? ["--owner", "soak"] : [] })
  passed = await main(stack)
} catch (error) {
  log(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.stdout.write(
    `soak: ${minutes} minutes, ${chaosSoFar?.events.length ?? 0} faults, ${invariants.violations.length} violations, converged no\n`
  )
}
await shutdown(!passed)
process.exit(passed ? 0 : 1)
