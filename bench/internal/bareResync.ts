// The floor of one full resync, as a process of its own: the least work any controller must do to
// compare every instance's desired and observed state — one Marathon list of the managed apps with
// tasks and deployments (the controller's exact request), and every spec and status read from
// etcd, all parsed. Prints {cpuSeconds, wallSeconds, rssMb, apps, specs} for that work (Node start excluded).
//   node bench/internal/bareResync.ts <marathonUrl> <etcdEndpoints> <prefix>
import { Etcd3 } from "etcd3"
import { pagedRange } from "./pagedRange.ts"

const [marathon, endpoints, prefix] = process.argv.slice(2) as [string, string, string]
const client = new Etcd3({ hosts: endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
// Warm the connections so that the measurement is the work, not the handshakes.
await client.get(`${prefix}/none`).string()
await (await fetch(`${marathon}/ping`)).text()

const before = process.cpuUsage()
const started = performance.now()
const list = await (await fetch(`${marathon}/v2/apps?embed=apps.tasks&embed=apps.deployments&label=MDEPLOY_MANAGED%3D%3Dtrue`)).json() as {
  apps: Array<unknown>
}
let specs = 0
// Paged as a bare client pages a large range (1,000 keys an answer, one revision): one answer of
// every status would exceed gRPC's 4 MiB default.
for (const kind of ["specs", "status"]) {
  for (const [, value] of await pagedRange(client, `${prefix}/${kind}/`)) {
    JSON.parse(value)
    if (kind === "specs") specs++
  }
}
const used = process.cpuUsage(before)
const wallSeconds = (performance.now() - started) / 1000
process.stdout.write(
  `${
    JSON.stringify({
      cpuSeconds: (used.user + used.system) / 1e6,
      wallSeconds,
      rssMb: process.memoryUsage().rss / 1024 / 1024,
      apps: list.apps.length,
      specs
    })
  }\n`
)
client.close()
