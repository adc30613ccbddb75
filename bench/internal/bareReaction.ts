// The floor of the "→ first Marathon write" rows: a bare etcd put, its watch event, then a bare
// POST /v2/apps arriving at the same emulator (an app without instances: a real create, no task
// work afterwards). `prepare` runs before each sample's clock starts; `lead` runs timed, before the
// put (the GitOps row fetches the new commit there).
import type { Stack } from "./stack.ts"

export interface BareReactionOptions {
  readonly prepare?: (sample: number) => void
  readonly lead?: (sample: number) => Promise<void>
}

export const bareReactionSamples = async (stack: Stack, count: number, options: BareReactionOptions = {}) => {
  const key = `${stack.prefix}-floor/key`
  const watcher = await stack.client.watch().key(key).create()
  const samples: Array<number> = []
  try {
    for (let k = 0; k < count; k++) {
      options.prepare?.(k)
      await stack.tap.quiet(50, 2_000)
      const arrived = stack.tap.next((method, path) => method === "POST" && path === "/v2/apps", 5_000)
      const t0 = performance.now()
      await options.lead?.(k)
      const watched = new Promise<void>((resolve) => watcher.once("put", () => resolve()))
      await stack.client.put(key).value(String(k))
      await watched
      void fetch(`${stack.sim.url}/v2/apps`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ id: `/floor/f${k}`, cmd: "sleep 1", instances: 0, cpus: 0.01, mem: 16 })
      }).then((response) => response.arrayBuffer())
      const at = await arrived
      if (at !== undefined) samples.push(at - t0)
    }
  } finally {
    await watcher.cancel()
  }
  return samples
}
