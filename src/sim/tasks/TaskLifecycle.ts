// The task state machine (spec §8): scheduled → TASK_STAGING → TASK_STARTING → TASK_RUNNING →
// [TASK_KILLING] → terminal, with status_update_event and instance_changed_event on every change.
// A task whose instance still has goal Running is relaunched with incarnation + 1 once the app's
// launch delay allows; anything else is expunged. Timing comes from options and behaviours.
import { servicePortsOf } from "../apps/AppDef.ts"
import { isObject, type JsonObject } from "../apps/Shape.ts"
import { instanceChanged, statusUpdate } from "../events/SimEvents.ts"
import { safeId } from "../ids/PathId.ts"
import { iso } from "../ids/Timestamp.ts"
import { instanceIdOf, taskIdOf } from "../ids/TaskId.ts"
import type { AppRecord, SimContext } from "../state/SimContext.ts"
import { constraintsOf, type Agent } from "./Agents.ts"
import { raiseDelay, timeLeft } from "./Backoff.ts"
import { cancelFor, failureStates, isActive, isTerminal, recordedFailures, scheduleFor, type Instance, type TaskState } from "./Instance.ts"

/** The checks that run against running tasks; wired in by Sim. */
export interface TaskChecks {
  start(i: Instance): void
  stop(i: Instance): void
}

export class TaskLifecycle {
  private readonly ctx: SimContext
  checks: TaskChecks = { start: () => {}, stop: () => {} }

  constructor(ctx: SimContext) {
    this.ctx = ctx
  }

  /** Adds a new instance of `app` (scheduled) and tries to launch it. */
  schedule(app: AppRecord): Instance {
    const now = this.ctx.now()
    const instanceId = instanceIdOf(safeId(app.id), this.ctx.ids.uuid1(now))
    const inst: Instance = {
      instanceId,
      appId: app.id,
      incarnation: 1,
      taskId: taskIdOf(instanceId, 1),
      state: undefined,
      goal: "Running",
      def: app.def,
      agent: undefined,
      hostPorts: [],
      stagedAt: stagedTime(now, app.def),
      startedAt: undefined,
      stateSince: now,
      message: "",
      health: undefined,
      healthOverride: undefined,
      healthTicks: 0,
      ready: false,
      readiness: undefined,
      timers: [],
      checkTimers: [],
      queuedSince: now,
      json: undefined,
      reportSkewMs: this.ctx.reportSkewMs
    }
    this.ctx.instances.set(instanceId, inst)
    let set = this.ctx.byApp.get(app.id)
    if (set === undefined) this.ctx.byApp.set(app.id, set = new Set())
    set.add(inst)
    this.tryLaunch(inst)
    return inst
  }

  /** Launches a scheduled (or terminal, goal Running) instance once backoff and placement allow. */
  tryLaunch(inst: Instance): void {
    if (inst.goal !== "Running" || isActive(inst.state)) return
    const app = this.ctx.apps.get(inst.appId)
    if (app === undefined) return this.expunge(inst)
    this.cancelTimers(inst)
    const wait = timeLeft(app, this.ctx.now())
    if (wait > 0) {
      this.after(inst, wait, () => this.tryLaunch(inst))
      return
    }
    const agent = this.ctx.agents.place(constraintsOf(app.def), this.usedHosts(inst.appId))
    if (agent === undefined) {
      this.after(inst, this.ctx.options.offerIntervalMs, () => this.tryLaunch(inst))
      return
    }
    this.launch(inst, app, agent)
  }

  private launch(inst: Instance, app: AppRecord, agent: Agent): void {
    if (inst.state !== undefined) {
      inst.incarnation++
      inst.taskId = taskIdOf(inst.instanceId, inst.incarnation)
    }
    const def = app.def
    const now = this.ctx.now()
    inst.def = def
    inst.agent = agent
    agent.tasks++
    inst.hostPorts = this.ctx.agents.ports(agent, hostPortCount(def), def["requirePorts"] === true ? servicePortsOf(def) : undefined)
    inst.stagedAt = stagedTime(now, def)
    inst.startedAt = undefined
    inst.health = undefined
    inst.healthTicks = 0
    inst.ready = false
    inst.readiness = undefined
    inst.queuedSince = undefined
    this.setState(inst, "TASK_STAGING", "")
    const b = this.ctx.behaviourOf(inst.appId, def)
    const half = (this.ctx.options.taskStartDelayMs * this.ctx.slowFactor) / 2
    if (b.crash?.beforeRunning === true) {
      this.after(inst, b.crash.afterSeconds * 1000, () => this.terminal(inst, b.crash!.state, b.crash!.message))
    }
    if (b.stuck === "staging") return this.launchTimeout(inst)
    this.after(inst, half, () => {
      this.setState(inst, "TASK_STARTING", "")
      if (b.stuck === "starting") return this.launchTimeout(inst)
      this.after(inst, half, () => this.toRunning(inst))
    })
  }

  private launchTimeout(inst: Instance): void {
    this.after(inst, this.ctx.options.taskLaunchTimeoutMs, () => this.kill(inst))
  }

  private toRunning(inst: Instance): void {
    inst.startedAt = this.ctx.now()
    this.setState(inst, "TASK_RUNNING", "")
    this.checks.start(inst)
    const crash = this.ctx.behaviourOf(inst.appId, inst.def).crash
    if (crash !== undefined && !crash.beforeRunning) {
      this.after(inst, crash.afterSeconds * 1000 * this.ctx.slowFactor, () => this.terminal(inst, crash.state, crash.message))
    }
  }

  /** Moves a task to `state` on request (admin API), with the side effects that state implies. */
  force(inst: Instance, state: TaskState, message: string): void {
    if (!isActive(inst.state) || inst.agent === undefined) return
    if (isTerminal(state)) return this.terminal(inst, state, message)
    if (state === "TASK_KILLING") return this.kill(inst)
    this.cancelTimers(inst)
    this.checks.stop(inst)
    if (state === "TASK_RUNNING") {
      inst.startedAt ??= this.ctx.now()
      this.setState(inst, state, message)
      this.checks.start(inst)
    } else if (state === "TASK_UNREACHABLE") {
      this.setState(inst, state, message)
      this.unreachable(inst)
    } else {
      if (state === "TASK_STAGING") inst.startedAt = undefined
      this.setState(inst, state, message)
    }
  }

  /** Kills the current task; the instance's goal decides whether it comes back. */
  kill(inst: Instance): void {
    if (!isActive(inst.state)) {
      if (inst.goal !== "Running") this.expunge(inst)
      return
    }
    if (inst.state === "TASK_KILLING") return
    this.cancelTimers(inst)
    this.checks.stop(inst)
    if (inst.state === "TASK_UNREACHABLE") return this.terminal(inst, "TASK_GONE", "Unreachable task killed")
    this.setState(inst, "TASK_KILLING", "")
    this.after(
      inst,
      this.ctx.options.taskKillDelayMs,
      () => this.terminal(inst, "TASK_KILLED", "Command terminated with signal Terminated")
    )
  }

  /** Stops the instance for good (scale down, app removal, replacement during a restart). */
  decommission(inst: Instance): void {
    inst.goal = "Decommissioned"
    this.kill(inst)
  }

  terminal(inst: Instance, state: TaskState, message: string): void {
    this.cancelTimers(inst)
    this.checks.stop(inst)
    if (isActive(inst.state) && inst.agent !== undefined) inst.agent.tasks--
    this.setState(inst, state, message)
    const app = this.ctx.apps.get(inst.appId)
    if (inst.goal !== "Running" || app === undefined) return this.expunge(inst)
    const now = this.ctx.now()
    if (failureStates.has(state)) raiseDelay(app, now)
    if (recordedFailures.has(state)) app.lastTaskFailure = this.failure(inst, state, message)
    inst.queuedSince = now
    // Relaunch asynchronously, as Marathon does, so the terminal state is observable.
    this.after(inst, 0, () => this.tryLaunch(inst))
  }

  failure(inst: Instance, state: TaskState, message: string): JsonObject {
    return {
      appId: inst.appId,
      host: inst.agent?.host ?? "",
      message,
      state,
      taskId: inst.taskId,
      timestamp: iso(this.ctx.now()),
      version: inst.def.version,
      slaveId: inst.agent?.agentId ?? ""
    }
  }

  expunge(inst: Instance): void {
    this.cancelTimers(inst)
    this.checks.stop(inst)
    if (!this.ctx.instances.delete(inst.instanceId)) return
    if (isActive(inst.state) && inst.agent !== undefined) inst.agent.tasks--
    const set = this.ctx.byApp.get(inst.appId)
    set?.delete(inst)
    if (set?.size === 0) this.ctx.byApp.delete(inst.appId)
    this.ctx.onChange(inst.appId)
  }

  /** TASK_UNREACHABLE: after inactiveAfter a replacement starts, after expungeAfter it is gone. */
  private unreachable(inst: Instance): void {
    const strategy = inst.def["unreachableStrategy"]
    if (!isObject(strategy)) return
    const inactive = Number(strategy["inactiveAfterSeconds"] ?? 0) * 1000
    const expunge = Number(strategy["expungeAfterSeconds"] ?? 0) * 1000
    this.after(inst, inactive, () => {
      const app = this.ctx.apps.get(inst.appId)
      if (inst.goal === "Running" && app !== undefined) {
        inst.goal = "Decommissioned"
        this.schedule(app)
      }
      this.after(inst, Math.max(0, expunge - inactive), () => this.expunge(inst))
    })
  }

  setState(inst: Instance, state: TaskState, message: string): void {
    inst.state = state
    inst.stateSince = this.ctx.now()
    inst.message = message
    inst.json = undefined
    this.ctx.events.emit("status_update_event", () => statusUpdate(inst))
    this.ctx.events.emit("instance_changed_event", () => instanceChanged(inst))
    this.ctx.onChange(inst.appId)
  }

  private after(inst: Instance, ms: number, run: () => void): void {
    scheduleFor(this.ctx.clock, inst, "timers", ms, run)
  }

  private cancelTimers(inst: Instance): void {
    cancelFor(inst, "timers")
  }

  private usedHosts(appId: string): Map<string, number> {
    const used = new Map<string, number>()
    for (const i of this.ctx.instancesOf(appId)) {
      if (i.agent !== undefined && isActive(i.state)) used.set(i.agent.host, (used.get(i.agent.host) ?? 0) + 1)
    }
    return used
  }
}

/** Host ports one task needs: one per port definition (host networking) or per mapped hostPort. */
const hostPortCount = (def: JsonObject): number => {
  const container = def["container"]
  const mappings = isObject(container) && Array.isArray(container["portMappings"]) ? container["portMappings"] : undefined
  if (mappings !== undefined) return mappings.filter((m) => isObject(m) && m["hostPort"] !== undefined).length
  return servicePortsOf(def).length
}

/**
 * A task is staged after the definition it runs was written, as on Marathon, where both times
 * come from one wall clock. The emulator hands out distinct, increasing versions, which run ahead
 * of a clock that has not moved (virtual time, or several writes in one millisecond), so a task
 * staged "now" could read as older than its own version: never before it.
 */
const stagedTime = (now: number, def: { readonly version: string }): number => Math.max(now, Date.parse(def.version))
