// Start-up of the CLI, as a user meets it: `mdeploy get` beside `node -e 0` and the etcd round
// trip it cannot avoid (issue goal: get <= 2 x node -e 0 + round trip). Each command runs N times,
// interleaved so that load on the shared machine hits every row alike, under /usr/bin/time for
// the child's own CPU (user + sys), wall timed here. Compile caches are warmed by one untimed run
// of each, as a user's second run finds them. `get` reads etcd through its JSON gateway (no etcd3):
// the round trip in its floor is the gateway's, two range reads on a fresh connection, as `get`
// makes them; a warm etcd3 client's two reads are shown beside it.
import { execFileSync, spawn } from "node:child_process"
import { Agent, request } from "node:http"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { startLocalEtcd } from "../src/store/LocalEtcd.ts"
import type { Bench } from "./BenchReport.ts"
import { benchSpec, putSpecs, root, round } from "./internal/stack.ts"

const runs = Number(process.env["MDEPLOY_BENCH_STARTUP_RUNS"] ?? 10)
const specs = 5
const prefix = "/bench-startup/mdeploy/v1"
const bin = join(root, "bin", "mdeploy.js")

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
}

const timed = (args: ReadonlyArray<string>, env: Record<string, string>, scratch: string) =>
  new Promise<Sample>((resolve, reject) => {
    const timeFile = join(scratch, "time")
    const started = performance.now()
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, process.execPath, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      const wallMs = performance.now() - started
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited ${code}: ${output.slice(0, 500)}`))
      const [user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number)
      resolve({ wallMs, cpuMs: (user! + sys!) * 1000 })
    })
  })

/** One POST to etcd's JSON gateway on `agent`; resolves with the answer's length. */
const gatewayPost = (endpoint: string, agent: Agent, path: string, body: unknown) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL(path, endpoint)
    const sent = request({ hostname: url.hostname, port: url.port, path, method: "POST", agent }, (response) => {
      let length = 0
      response.on("data", (chunk: Buffer) => (length += chunk.length))
      response.on("end", () => response.statusCode === 200 ? resolve(length) : reject(new Error(`${path}: HTTP ${response.statusCode}`)))
    })
    sent.on("error", reject)
    sent.end(JSON.stringify(body))
  })

/** The reads `get` makes through the gateway: specs, then statuses, on one fresh keep-alive connection. */
const gatewayRoundTrip = async (endpoint: string) => {
  const agent = new Agent({ keepAlive: true })
  const range = (under: string) => {
    const end = Buffer.from(under)
    end[end.length - 1] = end[end.length - 1]! + 1
    return { key: Buffer.from(under).toString("base64"), range_end: end.toString("base64"), limit: 1000 }
  }
  try {
    await gatewayPost(endpoint, agent, "/v3/kv/range", range(`${prefix}/specs/`))
    await gatewayPost(endpoint, agent, "/v3/kv/range", range(`${prefix}/status/`))
  } finally {
    agent.destroy()
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
/** min–max, the spread a reader needs on a noisy machine. */
const spread = (values: ReadonlyArray<number>) => `${round(Math.min(...values), 0)}–${round(Math.max(...values), 0)}`

const bench: Bench = async () => {
  // The `get` row measures the bundle users run, built from these sources (bin/mdeploy.js would
  // run the sources were dist/ stale).
  execFileSync(process.execPath, [join(root, "scripts", "build.ts")], { stdio: "inherit" })
  const etcd = await startLocalEtcd()
  const scratch = mkdtempSync(join(tmpdir(), "mdeploy-bench-startup-"))
  const { Etcd3 } = await import("etcd3")
  const client = new Etcd3({ hosts: etcd.endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
  try {
    await putSpecs(client, prefix, specs, (index) => benchSpec(index, "v1", 3))
    // No config file of the developer's (a context there would load the YAML library, and could
    // point elsewhere): the command line and the environment only.
    const env = { MDEPLOY_ETCD_ENDPOINTS: etcd.endpoints, MDEPLOY_ETCD_PREFIX: prefix, MDEPLOY_CONFIG: join(scratch, "none.yaml") }
    const commands = {
      node: ["-e", "0"],
      version: [bin, "--version"],
      // What the etcd client library alone costs to load (compile cache on, as the bin has it):
      // the part of `get` no change to mdeploy's own code can remove.
      etcd3: ["-e", "require('node:module').enableCompileCache(); require('etcd3')"],
      get: [bin, "get"],
      // The same command through the full command-line parser (MDEPLOY_QUICK_GET=0): what the
      // quick path (src/cli/QuickGet.ts) saves, measured under the same load.
      getFullParser: [bin, "get"],
      // The same command run from the TypeScript sources (what bin/mdeploy.js does while dist/ is
      // stale or missing): what the bundle saves, measured under the same load.
      getFromSource: [bin, "get"]
    } as const
    const samples: Record<keyof typeof commands, Array<Sample>> = {
      node: [],
      version: [],
      etcd3: [],
      get: [],
      getFullParser: [],
      getFromSource: []
    }
    const envOf = (name: string) =>
      name === "getFromSource"
        ? { ...env, MDEPLOY_FROM_SOURCE: "1" }
        : name === "getFullParser"
        ? { ...env, MDEPLOY_QUICK_GET: "0" }
        : env
    for (const [name, args] of Object.entries(commands)) await timed(args, envOf(name), scratch)
    const load = [loadavg()[0]!]
    for (let run = 0; run < runs; run++) {
      for (const [name, args] of Object.entries(commands)) {
        samples[name as keyof typeof commands].push(await timed(args, envOf(name), scratch))
      }
      load.push(loadavg()[0]!)
    }
    // The round trip `get` cannot avoid: its two range reads (specs, then statuses), by a bare
    // client in a warm process with its connection already open.
    await client.getAll().prefix(`${prefix}/specs/`).strings()
    const roundTrips: Array<number> = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      await client.getAll().prefix(`${prefix}/specs/`).strings()
      await client.getAll().prefix(`${prefix}/status/`).strings()
      roundTrips.push(performance.now() - started)
    }
    const endpoint = etcd.endpoints.split(",")[0]!
    await gatewayRoundTrip(endpoint)
    const gatewayRoundTrips: Array<number> = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      await gatewayRoundTrip(endpoint)
      gatewayRoundTrips.push(performance.now() - started)
    }
    const wall = (name: keyof typeof commands) => median(samples[name].map((sample) => sample.wallMs))
    const cpu = (name: keyof typeof commands) => median(samples[name].map((sample) => sample.cpuMs))
    const roundTrip = median(gatewayRoundTrips)
    const wallFloor = 2 * wall("node") + roundTrip
    const cpuFloor = 2 * cpu("node")
    const note = (name: keyof typeof commands) =>
      `wall ${spread(samples[name].map((sample) => sample.wallMs))} ms, cpu ${
        spread(samples[name].map((sample) => sample.cpuMs))
      } ms over ${runs}`
    return {
      name: "startup",
      rows: [
        { metric: "node -e 0 (wall)", value: wall("node"), unit: "ms", note: note("node") },
        { metric: "node -e 0 (cpu)", value: cpu("node"), unit: "ms" },
        {
          metric: "gateway get of specs + statuses, fresh connection, warm process",
          value: roundTrip,
          unit: "ms",
          note: `${spread(gatewayRoundTrips)} ms`
        },
        {
          metric: "bare etcd3 get of specs + statuses, warm process",
          value: median(roundTrips),
          unit: "ms",
          note: `${spread(roundTrips)} ms`
        },
        { metric: "node loading etcd3 (wall)", value: wall("etcd3"), unit: "ms", floor: wall("node"), note: note("etcd3") },
        { metric: "node loading etcd3 (cpu)", value: cpu("etcd3"), unit: "ms", floor: cpu("node") },
        { metric: "mdeploy --version (wall)", value: wall("version"), unit: "ms", floor: wall("node"), note: note("version") },
        { metric: "mdeploy --version (cpu)", value: cpu("version"), unit: "ms", floor: cpu("node") },
        {
          metric: `mdeploy get, ${specs} specs (wall)`,
          value: wall("get"),
          unit: "ms",
          floor: wallFloor,
          goal: "<= 2x node -e 0 + round trip",
          met: wall("get") <= wallFloor,
          note: note("get")
        },
        // The goal is time to answer (wall); CPU is shown beside twice node's, no goal.
        { metric: `mdeploy get, ${specs} specs (cpu)`, value: cpu("get"), unit: "ms", floor: cpuFloor },
        {
          metric: "mdeploy get through the full parser (wall)",
          value: wall("getFullParser"),
          unit: "ms",
          floor: wallFloor,
          note: note("getFullParser")
        },
        { metric: "mdeploy get through the full parser (cpu)", value: cpu("getFullParser"), unit: "ms", floor: cpuFloor },
        {
          metric: "mdeploy get from the sources, no bundle (wall)",
          value: wall("getFromSource"),
          unit: "ms",
          floor: wallFloor,
          note: note("getFromSource")
        },
        { metric: "mdeploy get from the sources, no bundle (cpu)", value: cpu("getFromSource"), unit: "ms", floor: cpuFloor }
      ],
      details: { runs, loadAverage1m: load, samples, roundTrips, gatewayRoundTrips }
    }
  } finally {
    client.close()
    rmSync(scratch, { recursive: true, force: true })
    await etcd.close()
  }
}

export default bench
