// What the chaos soak deploys and how it changes it: a seeded generator, ~30 ServiceInstance specs
// covering every bounce method and drain method, the spec edits of the run (each one makes a config
// never seen before, so an app id can only come back when a deleted spec is re-created), and the
// "foreign" apps seeded straight into Marathon that no controller of this installation may touch.
import type { InstanceModel } from "./soakInvariants.ts"

/** mulberry32: small, seeded, good enough to make a soak repeatable. */
export const seeded = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p
  }
}
export type Rng = ReturnType<typeof seeded>

export const bounceMethods = ["crossover", "upthendown", "downthenup", "brutal", "down"] as const
export const drainMethods = ["noop", "test", "hacheck", "http"] as const

type Spec = Record<string, unknown> & { instances: number; bounce: { method: string; marginFactor?: number } }

export interface SoakInstance {
  readonly name: string
  spec: Spec
  generation: number
  uid: string
  present: boolean
  /** performance.now() of the deletion, while deleted. */
  deletedAt: number | undefined
}

const healthCheck = {
  protocol: "MESOS_HTTP",
  path: "/status",
  gracePeriodSeconds: 5,
  intervalSeconds: 1,
  timeoutSeconds: 1,
  maxConsecutiveFailures: 3
}

const httpDrain = (path: string, method = "GET") => ({ urlFormat: `http://{host}:{port}/${path}/{task_id}`, method })

/**
 * Instance i: bounce method i mod 5 (down: see `takeDown`), drain method ⌊i / 5⌋ mod 4. hacheck and http drains reach
 * the soak's drain backend on the task's agent (`drainPort`); http drain apps are cmd-only with
 * the fixed host port `drainPort`, so `{host}:{port}` of each task is that backend.
 */
export const initialSpec = (index: number, drainPort: number, rng: Rng): Spec => {
  const method = bounceMethods[index % bounceMethods.length]!
  const drain = drainMethods[Math.floor(index / bounceMethods.length) % drainMethods.length]!
  const base = {
    gitSha: `${(index + 1).toString(16).padStart(2, "0")}ab34cd`,
    env: { SOAK_INDEX: String(index), EDIT: "0" },
    cpus: 0.01,
    mem: 16,
    instances: rng.int(1, 4),
    healthCheck,
    // A `down` instance starts as brutal: down never creates an app, so it only means something
    // for an instance that has one (`takeDown` switches it once the app runs).
    bounce: method === "crossover"
      ? { method, marginFactor: rng.pick([1, 1, 0.5, 0.67]) }
      : { method: method === "down" ? "brutal" : method }
  }
  switch (drain) {
    case "noop":
      return { ...base, image: `registry.example/soak${index}:v0`, ports: [8080], drain: { method: "noop" } }
    case "test":
      return { ...base, image: `registry.example/soak${index}:v0`, ports: [8080], drain: { method: "test", params: { delay: 1 } } }
    case "hacheck":
      return {
        ...base,
        image: `registry.example/soak${index}:v0`,
        ports: [8080],
        drain: { method: "hacheck", params: { delay: 1, hacheckPort: drainPort } }
      }
    case "http":
      return {
        ...base,
        cmd: `./serve --index ${index}`,
        ports: [drainPort],
        drain: {
          method: "http",
          params: {
            drain: httpDrain("drain", "POST"),
            stopDraining: httpDrain("undrain", "POST"),
            isDraining: httpDrain("draining"),
            isSafeToKill: httpDrain("safe")
          }
        }
      }
  }
}

export const instanceName = (index: number) => `soak${String(index).padStart(2, "0")}.main`

export type EditKind = "image" | "env" | "instances" | "pause" | "forceBounce" | "desiredState"

/** One edit of a present spec; every config-changing edit is new (a counter, never reused). */
export const edit = (spec: Spec, kind: EditKind, counter: number, rng: Rng): Spec => {
  switch (kind) {
    case "image":
      return typeof spec["image"] === "string"
        ? { ...spec, image: spec["image"].replace(/:.*$/, `:v${counter}`) }
        : { ...spec, cmd: String(spec["cmd"]).replace(/( --rev \d+)?$/, ` --rev ${counter}`) }
    case "env":
      return { ...spec, env: { ...(spec["env"] as Record<string, string>), EDIT: String(counter) } }
    case "instances":
      return { ...spec, instances: Math.max(1, Math.min(5, spec.instances + rng.pick([-2, -1, 1, 2]))) }
    case "pause":
      return { ...spec, paused: spec["paused"] !== true }
    case "forceBounce":
      return { ...spec, forceBounce: `soak-${counter}` }
    case "desiredState":
      return { ...spec, desiredState: spec["desiredState"] === "stop" ? "start" : "stop" }
  }
}

/** Takes an instance out of service the PaaSTA way: method down and a new config (its old app drains away). */
export const takeDown = (spec: Spec, counter: number, rng: Rng): Spec => ({
  ...edit(spec, "image", counter, rng),
  bounce: { method: "down" }
})

/** The stored form SpecStore writes (resourceVersion is the key's revision). */
export const storedSpec = (instance: SoakInstance) =>
  JSON.stringify({
    apiVersion: "mdeploy.dev/v1",
    kind: "ServiceInstance",
    metadata: {
      name: instance.name,
      labels: { team: "soak" },
      uid: instance.uid,
      generation: instance.generation,
      creationTimestamp: new Date().toISOString()
    },
    spec: instance.spec
  })

export const modelOf = (instance: SoakInstance): InstanceModel => ({
  name: instance.name,
  method: instance.spec.bounce.method,
  instances: instance.spec.instances,
  marginFactor: instance.spec.bounce.marginFactor ?? 1,
  generation: instance.generation,
  paused: instance.spec["paused"] === true,
  stopped: instance.spec["desiredState"] === "stop",
  deleted: !instance.present
})

/**
 * Apps seeded straight into Marathon. Unmanaged ones (no MDEPLOY_MANAGED) and another
 * installation's (MDEPLOY_OWNER=someone-else), some under the id prefix of one of our instances,
 * some of instances we have no spec for (what a careless cleanup would take for orphans).
 */
export const foreignApps = (): ReadonlyArray<
  { readonly kind: "unmanaged" | "otherOwner"; readonly definition: Record<string, unknown> }
> => {
  const app = (id: string, instances: number, labels: Record<string, string>) => ({
    id,
    cmd: "sleep 1000000",
    cpus: 0.01,
    mem: 16,
    instances,
    labels
  })
  const owned = (service: string, hash: string, instance = "main") => ({
    MDEPLOY_MANAGED: "true",
    MDEPLOY_OWNER: "someone-else",
    MDEPLOY_SERVICE: service,
    MDEPLOY_INSTANCE: instance,
    MDEPLOY_CONFIG_HASH: hash
  })
  return [
    { kind: "unmanaged", definition: app("/web.main.gitdeadbeef.config00000000", 2, { team: "legacy" }) },
    { kind: "unmanaged", definition: app("/soak00.main.gitdeadbeef.config00000000", 1, {}) },
    { kind: "unmanaged", definition: app("/soak07.main.gitdeadbeef.config00000001", 2, { MDEPLOY_SERVICE: "soak07" }) },
    { kind: "unmanaged", definition: app("/billing.legacy", 1, {}) },
    { kind: "otherOwner", definition: app("/soak01.main.gitcafebabe.config11111111", 2, owned("soak01", "11111111")) },
    { kind: "otherOwner", definition: app("/soak12.main.gitcafebabe.config22222222", 1, owned("soak12", "22222222")) },
    { kind: "otherOwner", definition: app("/orphan.main.gitcafebabe.config33333333", 2, owned("orphan", "33333333")) },
    { kind: "otherOwner", definition: app("/ghost.canary.gitcafebabe.config44444444", 1, owned("ghost", "44444444", "canary")) }
  ]
}
