// Failover: two `mdeploy controller` processes, one leading; `kill -9` of the leader, then the
// time until the standby is elected (its identity in the leader key, seen by a bare etcd watch) and
// until its first reconcile (its /metrics `mdeploy_reconcile_total` moving: an idle pass of a
// converged instance takes no lock, so no lock key would show it). Repeated with
// a fresh standby each round. Floor, same run: a bare process holding a key on an etcd lease of the
// same TTL with etcd3's keep-alive, killed -9; the time until etcd deletes the key.
import { spawn } from "node:child_process"
import type { Bench, BenchReport } from "./BenchReport.ts"
import type { ControllerChild } from "./internal/stack.ts"
import { benchSpec, converge, deadline, percentile, round, sleep, startController, startStack, waitFor } from "./internal/stack.ts"

export interface Options {
  readonly instances: number
  readonly rounds: number
  readonly leaderTtl: number
}

// A bare lease holder: grant, put the key on the lease, keep it alive the way etcd3 does by default.
const holder = `
const { Etcd3 } = require("etcd3")
const [endpoints, key, ttl] = process.argv.slice(1)
const client = new Etcd3({ hosts: endpoints.split(",").map((u) => u.replace(/^https?:\\/\\//, "")) })
const lease = client.lease(Number(ttl))
lease.put(key).value("bare").exec().then(() => process.stdout.write("ready\\n"))
`

const floorRound = async (endpoints: string, client: Awaited<ReturnType<typeof startStack>>["client"], key: string, ttl: number) => {
  const child = spawn(process.execPath, ["-e", holder, endpoints, key, String(ttl)], {
    cwd: import.meta.dirname,
    stdio: ["ignore", "pipe", "inherit"]
  })
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve())
      child.once("exit", (code) => reject(new Error(`lease holder exited ${code}`)))
    })
    // Kill at a random point of the keep-alive period, as a crash would.
    await sleep(500 + Math.random() * ttl * 500)
    const watcher = await client.watch().key(key).create()
    const gone = new Promise<number>((resolve) => watcher.once("delete", () => resolve(performance.now())))
    const t0 = performance.now()
    child.kill("SIGKILL")
    const at = await Promise.race([gone, deadline((ttl + 10) * 1000)])
    await watcher.cancel()
    return at - t0
  } finally {
    child.kill("SIGKILL")
  }
}

export const run = async (options: Options): Promise<BenchReport> => {
  const stack = await startStack()
  const { prefix, client } = stack
  try {
    const start = () => startController({ etcd: stack.etcd.endpoints, prefix, marathon: stack.sim.url, leaderTtl: options.leaderTtl })
    const first = await converge(stack, options.instances, (index) => benchSpec(index, "v1", 1), { leaderTtl: options.leaderTtl })
    let leader: ControllerChild = first.controller
    const elected: Array<number> = []
    const reconciled: Array<number> = []
    for (let round = 0; round < options.rounds; round++) {
      const standby = await start()
      stack.controllers.push(standby)
      await waitFor(
        "standby campaigning",
        10_000,
        async () => ((await standby.metric("leader_election_master_status")) === 0 ? true : undefined)
      )
      // Let the leader's own reconciles of the new term settle, then kill it mid keep-alive period.
      await sleep(500 + Math.random() * options.leaderTtl * 500)
      const mine = `/${standby.pid}`
      const leaderWatch = await client.watch().key(`${prefix}/leader`).create()
      const electedAt = new Promise<number>((resolve) =>
        leaderWatch.on("put", (kv) => kv.value.toString().includes(mine) && resolve(performance.now()))
      )
      const before = await standby.metric("mdeploy_reconcile_total")
      const t0 = performance.now()
      leader.proc.kill("SIGKILL")
      const limit = (options.leaderTtl + 15) * 1000
      const movedAt = waitFor(
        "standby reconciling (metrics)",
        limit,
        async () => ((await standby.metric("mdeploy_reconcile_total")) > before ? performance.now() : undefined),
        25
      )
      const [e, m] = await Promise.all([
        Promise.race([electedAt, deadline(limit)]),
        movedAt.catch(() => Number.NaN)
      ])
      await leaderWatch.cancel()
      elected.push(e - t0)
      reconciled.push(m - t0)
      leader = standby
    }
    const floor: Array<number> = []
    for (let round = 0; round < options.rounds; round++) {
      floor.push(await floorRound(stack.etcd.endpoints, client, `${prefix}-floor/lease`, options.leaderTtl))
    }

    const worst = Math.max(...reconciled)
    const ttlMs = options.leaderTtl * 1000
    return {
      name: "failover",
      rows: [
        {
          metric: `kill -9 of the leader → standby's first reconcile (lease TTL ${options.leaderTtl} s), worst of ${options.rounds}`,
          value: round(worst),
          unit: "ms",
          floor: round(Math.max(...floor)),
          goal: `<= TTL + 2 s (${ttlMs + 2000} ms)`,
          met: Number.isFinite(worst) && worst <= ttlMs + 2000,
          note: `rounds ${
            reconciled.map((value) => round(value, 0)).join(", ")
          } ms; seen as its /metrics mdeploy_reconcile_total moving (idle passes take no lock); floor: bare lease-bound key of a killed process deleted by etcd (${
            floor.map((value) => round(value, 0)).join(", ")
          } ms)`
        },
        {
          metric: `kill -9 of the leader → standby elected, median of ${options.rounds}`,
          value: round(percentile(elected, 50)),
          unit: "ms",
          floor: round(percentile(floor, 50)),
          note: `rounds ${elected.map((value) => round(value, 0)).join(", ")} ms`
        }
      ],
      details: {
        instances: options.instances,
        rounds: options.rounds,
        leaderTtlSeconds: options.leaderTtl,
        electedMs: elected,
        firstReconcileMs: reconciled,
        floorMs: floor
      }
    }
  } finally {
    await stack.close()
  }
}

const bench: Bench = () => run({ instances: 100, rounds: 3, leaderTtl: 5 })
export default bench
