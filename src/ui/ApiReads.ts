// What the JSON API and the status page read (design.md §13), straight from etcd, so any replica —
// leader or standby — answers the same. Bounded: at most `maxInstances` instances, `maxEvents`
// events; the instance list is read at most once a second however many pages poll it.
import { Clock, Effect } from "effect"
import { sourceAnnotation } from "../domain/GitSource.ts"
import type { InstanceName } from "../domain/InstanceName.ts"
import { EventRecorder } from "../events/EventRecorder.ts"
import type { ListedEvent } from "../events/InstanceEvent.ts"
import { newestFirst } from "../events/InstanceEvent.ts"
import type { Rollout } from "../rollouts/Rollout.ts"
import { RolloutStore } from "../rollouts/RolloutStore.ts"
import { EtcdClient } from "../store/EtcdClient.ts"
import { GitSourceStore } from "../store/GitSourceStore.ts"
import { SpecStore } from "../store/SpecStore.ts"
import { StatusStore } from "../store/StatusStore.ts"
import type { InstanceView } from "./InstanceView.ts"
import { instanceView, pageOrder } from "./InstanceView.ts"

export const maxInstances = 2_000
export const maxEvents = 500
const instancesCacheMs = 1_000

export type ApiServices = SpecStore | StatusStore | GitSourceStore | RolloutStore | EventRecorder | EtcdClient

export interface InstanceList {
  readonly items: ReadonlyArray<InstanceView>
  readonly truncated: boolean
}

/** Parses `since`: an ISO time, or an age like `300`, `90s`, `15m`, `2h`; undefined: no bound. */
export const parseSince = (text: string | null, nowMs: number): number | undefined | "invalid" => {
  if (text === null || text === "") return undefined
  const age = /^(\d+)(s|m|h)?$/.exec(text)
  if (age !== null) return nowMs - Number(age[1]) * (age[2] === "h" ? 3_600_000 : age[2] === "m" ? 60_000 : 1_000)
  const at = Date.parse(text)
  return Number.isNaN(at) ? "invalid" : at
}

export const makeApiReads = Effect.gen(function*() {
  const specs = yield* SpecStore
  const statuses = yield* StatusStore
  const gitSources = yield* GitSourceStore
  const rollouts = yield* RolloutStore
  const events = yield* EventRecorder
  const etcd = yield* EtcdClient
  let cached: { readonly at: number; readonly list: InstanceList } | undefined

  const instances = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (cached !== undefined && now - cached.at < instancesCacheMs) return cached.list
    const [listed, byName] = yield* Effect.all([specs.list(), statuses.list()], { concurrency: 2 })
    // GitSource statuses only when a spec came from one: most installations have none.
    const sourced = listed.items.some((item) => item.metadata.annotations?.[sourceAnnotation] !== undefined)
    const sources = sourced ? yield* gitSources.statuses() : new Map()
    const views = pageOrder(listed.items.map((item) => instanceView(item, byName.get(item.metadata.name), sources)))
    const list: InstanceList = { items: views.slice(0, maxInstances), truncated: views.length > maxInstances }
    cached = { at: now, list }
    return list
  })

  const instance = (name: string) => Effect.map(instances, (list) => list.items.find((item) => item.name === name))

  const rolloutsOf = (name: string): Effect.Effect<ReadonlyArray<Rollout>, unknown> => rollouts.list(name as InstanceName)

  const recentEvents = (instance: string | undefined, sinceMs: number | undefined) =>
    Effect.map(
      events.list(instance),
      (listed): ReadonlyArray<ListedEvent> =>
        newestFirst(listed.filter((entry) => sinceMs === undefined || Date.parse(entry.event.lastTimestamp) >= sinceMs)).slice(0, maxEvents)
    )

  /** Ready = etcd answers (leader or standby alike): one read of the leader key, two seconds at most. */
  const ready = etcd.call("readyz", (client) => client.get(`${etcd.prefix}/leader`).string()).pipe(
    Effect.timeout("2 seconds"),
    Effect.as(true),
    Effect.orElseSucceed(() => false)
  )

  return { instances, instance, rolloutsOf, recentEvents, ready }
})

export type ApiReads = Effect.Success<typeof makeApiReads>
