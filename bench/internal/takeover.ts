// A new leader over a converged fleet, statuses and all, as after a failover: started once the old
// leader has resigned, timed from its /metrics answering (Node started, modules loaded: the floors
// exclude Node's start) until it has reconciled every instance once. Users' edits are made while it
// walks the fleet, one at a time, each timed to its first Marathon write: a user's change jumps
// the queue. They run beside the polling, so waiting for an edit's write never delays seeing the
// sync end.
import type { Stack } from "./stack.ts"
import { benchSpec, instanceName, startController, storedSpec, waitFor } from "./stack.ts"

export interface TakeoverOptions {
  readonly instances: number
  /** Edits to make during the sync, at most (fewer when the sync ends first). */
  readonly edits: number
  /** The edits' sequence number to start from: each number picks another instance. */
  readonly firstEdit: number
  /** How often the leader's progress is read (its /metrics). */
  readonly pollMs: number
}

export const takeover = async (stack: Stack, options: TakeoverOptions) => {
  const { instances } = options
  const writesBefore = stack.tap.writePaths.length
  const successor = await startController({
    etcd: stack.etcd.endpoints,
    prefix: stack.prefix,
    marathon: stack.sim.url,
    resyncSeconds: 3600
  })
  stack.controllers.push(successor)
  const started = performance.now()
  let firstPassAt: number | undefined
  const editMs: Array<number> = []
  const edited: Array<string> = []
  let editing: Promise<void> | undefined
  // Each edit scales its instance from 1 to 2 (generation 2).
  const edit = async (index: number) => {
    const name = instanceName(index)
    const app = `/v2/apps/${name}.`
    const wrote = stack.tap.next((method, path) => method !== "GET" && path.startsWith(app), 10_000)
    const t0 = performance.now()
    await stack.client.put(`${stack.prefix}/specs/${name}`).value(storedSpec(name, benchSpec(index, "v1", 2), 2))
    const at = await wrote
    editMs.push(at === undefined ? Number.POSITIVE_INFINITY : at - t0)
    edited.push(app)
  }
  let made = 0
  await waitFor("the new leader's first full pass", 300_000, async () => {
    const done = await successor.metric("mdeploy_reconcile_total")
    if (done > 0) firstPassAt ??= performance.now()
    if (done >= instances) return true
    if (done > 0 && done < instances * 0.8 && editing === undefined && made < options.edits) {
      const sequence = options.firstEdit + made++
      editing = edit((sequence * 7919 + 13) % instances).finally(() => (editing = undefined))
    }
    return undefined
  }, options.pollMs)
  const seconds = (performance.now() - started) / 1000
  const firstSeconds = ((firstPassAt ?? performance.now()) - started) / 1000
  const cpu = successor.cpuSeconds()
  // An edit still waiting for its write (made just before the sync ended) is timed to the end.
  await editing
  const otherWrites = stack.tap.writePaths.slice(writesBefore).filter((path) => !edited.some((app) => path.startsWith(app)))
  return { successor, seconds, firstSeconds, cpu, editMs, otherWrites }
}
