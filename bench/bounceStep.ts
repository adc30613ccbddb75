// Bounce step reaction: during a crossover bounce (instances 3, noop drain), each new task that
// turns healthy should free one old task. Measured from the emulator emitting the task's
// health_status_changed_event (in-process listener) to the emulator receiving the controller's
// next write (the kill of an old task). Floor, same run: a bare `/v2/events` subscriber receiving
// that same health event. New tasks report no health until the benchmark marks them healthy one
// at a time through the admin API, so every step is one sample.
import { request } from "node:http"
import type { Bench, BenchReport } from "./BenchReport.ts"
import {
  appFor,
  benchSpec,
  call,
  converge,
  instanceName,
  percentile,
  round,
  runningStatuses,
  startStack,
  storedSpec,
  waitFor
} from "./internal/stack.ts"
import type { Stack } from "./internal/stack.ts"

export interface Options {
  /** Converged instances: every reconcile reads a Marathon list of all their apps. */
  readonly instances: number
  /** Of those, bounced one after another; each bounce gives `tasks` samples. */
  readonly bounced: number
  readonly tasks: number
}

// A long grace period: tasks without health results are trusted after grace + 5 intervals, which
// must not happen while the benchmark holds them back.
const specOf = (index: number, image: string, tasks: number) =>
  benchSpec(index, image, tasks, {
    healthCheck: {
      protocol: "MESOS_HTTP",
      path: "/status",
      gracePeriodSeconds: 300,
      intervalSeconds: 1,
      timeoutSeconds: 1,
      maxConsecutiveFailures: 3
    }
  })

/** A bare SSE subscriber: arrival time of each health_status_changed_event by instance id. */
const bareSubscriber = (url: string) => {
  const arrivals = new Map<string, number>()
  let buffer = ""
  const req = request(`${url}/v2/events?event_type=health_status_changed_event`, { headers: { Accept: "text/event-stream" } }, (res) => {
    res.setEncoding("utf8")
    res.on("data", (chunk: string) => {
      const at = performance.now()
      // Marathon ends lines with \r\n; an empty line ends an event.
      buffer += chunk.replaceAll("\r\n", "\n")
      let end = buffer.indexOf("\n\n")
      while (end >= 0) {
        const data = buffer.slice(0, end).split("\n").find((line) => line.startsWith("data:"))
        buffer = buffer.slice(end + 2)
        if (data !== undefined) {
          const event = JSON.parse(data.slice(5)) as { instanceId?: string; alive?: boolean }
          if (event.alive === true && event.instanceId !== undefined) arrivals.set(event.instanceId, at)
        }
        end = buffer.indexOf("\n\n")
      }
    })
    res.on("error", () => undefined)
  })
  req.on("error", () => undefined)
  req.end()
  return { arrivals, close: () => req.destroy() }
}

const newTasks = (stack: Stack, appId: string) =>
  [...stack.sim.sim.ctx.instances.values()].filter((instance) => instance.appId === appId && instance.state === "TASK_RUNNING")

export const run = async (options: Options): Promise<BenchReport> => {
  const stack = await startStack()
  const subscriber = bareSubscriber(stack.sim.url)
  const healthyAt = new Map<string, number>()
  const stopListening = stack.sim.onEvent((event) => {
    const payload = event.payload as { instanceId?: string; alive?: boolean }
    if (payload.alive === true && payload.instanceId !== undefined) healthyAt.set(payload.instanceId, performance.now())
  }, ["health_status_changed_event"])
  try {
    const { controller, syncMs } = await converge(stack, options.instances, (index) => specOf(index, "v1", options.tasks))
    const samples: Array<number> = []
    const floor: Array<number> = []
    const actions = new Map<string, number>()
    let missed = 0
    for (let index = 0; index < Math.min(options.bounced, options.instances) && missed < 3; index++) {
      const next = specOf(index, "v2", options.tasks)
      const appId = appFor(index, next).id
      // New tasks of the new app stay silent (no health result) until marked healthy below.
      await call(`${stack.sim.url}/__sim/apps${appId}/behaviour`, "PUT", { health: "silent" })
      await stack.client.put(`${stack.prefix}/specs/${instanceName(index)}`).value(storedSpec(instanceName(index), next, 2))
      const started = await waitFor(`${appId} running`, 15_000, () => {
        const tasks = newTasks(stack, appId)
        return tasks.length === options.tasks ? tasks : undefined
      }, 20)
      for (const task of started) {
        await stack.tap.quiet(200, 5_000)
        const wrote = new Promise<{ at: number; route: string } | undefined>((resolve) => {
          let route = ""
          void stack.tap.next((method, path) => {
            if (method === "GET") return false
            route = `${method} ${path.startsWith("/v2/apps/") ? "/v2/apps/{id}" : path}`
            return true
          }, 5_000).then((at) => resolve(at === undefined ? undefined : { at, route }))
        })
        const answer = await call(`${stack.sim.url}/__sim/tasks/${encodeURIComponent(task.instanceId)}/health`, "POST", { alive: true })
        if (answer.status !== 200) throw new Error(`marking ${task.instanceId} healthy: HTTP ${answer.status} ${answer.body}`)
        const write = await wrote
        const at = healthyAt.get(task.instanceId)
        if (write === undefined || at === undefined) {
          missed++
          continue
        }
        samples.push(write.at - at)
        actions.set(write.route, (actions.get(write.route) ?? 0) + 1)
        const seen = await waitFor("bare SSE event", 5_000, () => subscriber.arrivals.get(task.instanceId), 5)
        floor.push(seen - at)
      }
      await waitFor(`${instanceName(index)} rolled out`, 15_000, async () => {
        const running = await stack.client.get(`${stack.prefix}/status/${instanceName(index)}`).json() as {
          phase?: string
          observedGeneration?: number
        } | null
        const oldLeft = [...stack.sim.sim.ctx.apps.keys()].some((id) => id.startsWith(`/${instanceName(index)}.`) && id !== appId)
        return running?.phase === "Running" && running.observedGeneration === 2 && !oldLeft ? true : undefined
      }, 50)
    }
    const rolledOut = await runningStatuses(
      stack.client,
      stack.prefix,
      (name) => (Number(name.slice(3).split(".")[0]) < options.bounced ? 2 : 1)
    )
    const p50 = percentile(samples, 50)
    const p99 = percentile(samples, 99)
    return {
      name: `bounce-step-${options.instances}`,
      rows: [
        { metric: "task healthy → next bounce write, p50", value: round(p50), unit: "ms", floor: round(percentile(floor, 50)) },
        {
          metric: "task healthy → next bounce write, p99",
          value: round(p99),
          unit: "ms",
          floor: round(percentile(floor, 99)),
          goal: "<= 250 ms",
          met: missed === 0 && p99 <= 250,
          note:
            `${samples.length} steps over ${options.bounced} crossover bounces of ${options.tasks} tasks among ${options.instances} converged instances, ${missed} unanswered; floor: bare /v2/events subscriber receiving the same health event`
        }
      ],
      details: {
        instances: options.instances,
        bounced: options.bounced,
        tasksPerInstance: options.tasks,
        samplesMs: samples.map((value) => round(value)),
        floorMs: floor.map((value) => round(value)),
        firstWriteByRoute: Object.fromEntries(actions),
        rolledOut,
        initialSyncSeconds: round(syncMs / 1000, 2),
        controllerCpuSeconds: controller.cpuSeconds(),
        controller: "mdeploy controller --workers 8, drain noop, crossover, marginFactor 1"
      }
    }
  } finally {
    stopListening()
    subscriber.close()
    await stack.close()
  }
}

const bench: Bench = () => run({ instances: 1_000, bounced: 25, tasks: 3 })
export default bench
