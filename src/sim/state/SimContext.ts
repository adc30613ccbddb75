// The emulator's shared state (spec §8): apps by canonical id with their stored versions,
// instances by id and by app, scripted behaviours, the clock, ids and the event bus. Plain
// mutable data; the classes in tasks/, deploy/ and state/ change it, always synchronously.
import type { AppDef } from "../apps/AppDef.ts"
import type { JsonObject } from "../apps/Shape.ts"
import { SimClock } from "../clock/SimClock.ts"
import { EventBus } from "../events/EventBus.ts"
import { IdSource } from "../ids/IdSource.ts"
import { iso, VersionSource } from "../ids/Timestamp.ts"
import type { SimOptions } from "../SimOptions.ts"
import { Agents } from "../tasks/Agents.ts"
import { resolveBehaviour, type Behaviour } from "../tasks/Behaviour.ts"
import type { Instance } from "../tasks/Instance.ts"

export interface Backoff {
  delayMs: number
  /** No launch before this time. */
  until: number
}

export interface AppRecord {
  readonly id: string
  def: AppDef
  /** Every stored version of the definition, oldest first. */
  readonly versions: Map<string, AppDef>
  backoff: Backoff | undefined
  lastTaskFailure: JsonObject | undefined
}

export class SimContext {
  readonly options: SimOptions
  readonly clock: SimClock
  readonly ids: IdSource
  readonly versions = new VersionSource()
  readonly events: EventBus
  readonly agents: Agents
  readonly apps = new Map<string, AppRecord>()
  readonly instances = new Map<string, Instance>()
  readonly byApp = new Map<string, Set<Instance>>()
  readonly behaviours = new Map<string, Behaviour>()
  /** Skew of the task timestamps clients see (`POST /__sim/clock/skew`), ms. */
  reportSkewMs = 0
  /** F9: multiplies every task transition delay. */
  slowFactor = 1
  /** Called after any change to an app's instances; the deployment runner listens here. */
  onChange: (appId: string) => void = () => {}

  constructor(options: SimOptions) {
    this.options = options
    this.clock = new SimClock(options.clock, options.startTime)
    this.ids = new IdSource(options.seed)
    this.events = new EventBus(() => this.iso())
    this.agents = new Agents(options.agents, this.ids)
  }

  now(): number {
    return this.clock.now()
  }

  iso(): string {
    return iso(this.clock.now())
  }

  instancesOf(appId: string): ReadonlySet<Instance> {
    return this.byApp.get(appId) ?? emptySet
  }

  behaviourOf(appId: string, def: AppDef): Behaviour {
    return resolveBehaviour(this.behaviours.get(appId), def.labels)
  }
}

const emptySet: ReadonlySet<Instance> = new Set()
