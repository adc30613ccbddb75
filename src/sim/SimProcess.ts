// Runs the emulator as a process of its own (benchmarks measure its memory this way):
//   node src/sim/SimProcess.ts [--port N] [--host H] [--clock real|virtual] [--options '{json}'] [--v8-defaults]
// Prints one JSON line {"url","port","pid"} on stdout once listening; stops on SIGTERM/SIGINT.
import { setFlagsFromString } from "node:v8"
import { parseArgs } from "node:util"
import { start } from "./MarathonSim.ts"
import type { SimOptions } from "./SimOptions.ts"

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    clock: { type: "string" },
    options: { type: "string" },
    "v8-defaults": { type: "boolean" }
  },
  strict: true
})

// The emulator is a long-lived state server: almost everything a bulk load allocates survives,
// which makes V8 grow its young generation to the maximum (~100 MB of RSS that holds no state).
// Keeping the semi-spaces at their initial size costs a few more scavenges and keeps RSS honest.
if (values["v8-defaults"] !== true) setFlagsFromString("--semi-space-growth-factor=1")

const options: Record<string, unknown> = values.options === undefined ? {} : (JSON.parse(values.options) as Record<string, unknown>)
if (values.port !== undefined) options["port"] = Number(values.port)
if (values.host !== undefined) options["host"] = values.host
if (values.clock === "real" || values.clock === "virtual") options["clock"] = values.clock

const running = await start(options as Partial<SimOptions>)
process.stdout.write(JSON.stringify({ url: running.url, port: running.port, pid: process.pid }) + "\n")

const stop = () => {
  void running.close().then(() => process.exit(0))
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
