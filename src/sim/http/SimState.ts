// GET /__sim/state: the emulator's whole internal state in one JSON document, for tests and for
// looking at a demo from the outside.
import { iso } from "../ids/Timestamp.ts"
import { behaviourJson } from "../tasks/Behaviour.ts"
import { isHealthy } from "../tasks/Instance.ts"
import { deploymentObject } from "../views/DeploymentView.ts"
import type { AdminDeps } from "./AdminRoutes.ts"

export const simState = ({ sim, faults, leader, streams }: AdminDeps) => {
  const ctx = sim.ctx
  return {
    now: ctx.iso(),
    clock: ctx.clock.mode,
    pendingTimers: ctx.clock.pending,
    leader: { host: leader.host, elected: leader.elected },
    eventStreams: streams.count,
    apps: [...ctx.apps.values()].map((r) => ({
      id: r.id,
      version: r.def.version,
      instances: r.def.instances,
      versions: r.versions.size,
      backoff: r.backoff === undefined ? null : { delayMs: r.backoff.delayMs, until: iso(r.backoff.until) },
      lastTaskFailure: r.lastTaskFailure ?? null
    })),
    tasks: [...ctx.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      taskId: i.taskId,
      appId: i.appId,
      incarnation: i.incarnation,
      state: i.state ?? "Scheduled",
      goal: i.goal,
      host: i.agent?.host ?? null,
      version: i.def.version,
      healthy: isHealthy(i),
      ready: i.ready,
      stagedAt: iso(i.stagedAt),
      startedAt: i.startedAt === undefined ? null : iso(i.startedAt)
    })),
    deployments: sim.deployments.list().map(deploymentObject),
    agents: ctx.agents.list.map(({ host, agentId, draining, down, tasks }) => ({ host, agentId, draining, down, tasks })),
    behaviours: Object.fromEntries([...ctx.behaviours].map(([id, b]) => [id, behaviourJson(b)])),
    faults: faults.list(),
    freeze: sim.deployments.freeze ?? null,
    slowFactor: ctx.slowFactor
  }
}
