// `mdeploy marathon-sim`: the Marathon 1.10 emulator (design.md §7) as a long-running process for
// local development, demos and CI of users' own specs. Listens on loopback unless --host says else.
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"

export const marathonSimCommand = Command.make(
  "marathon-sim",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("TCP port (0 picks a free one)"), Flag.withDefault(8080)),
    host: Flag.String("host").pipe(Flag.withDescription("listen address"), Flag.withDefault("127.0.0.1")),
    clock: Flag.Literals("clock", ["real", "virtual"]).pipe(
      Flag.withDescription("virtual: time moves only through POST /__sim/clock/advance"),
      Flag.withDefault("real")
    ),
    taskStartDelayMs: Flag.Int("task-start-delay-ms").pipe(Flag.withDescription("staging → running"), Flag.optional),
    healthyAfterMs: Flag.Int("healthy-after-ms").pipe(Flag.withDescription("running → first passing health check"), Flag.optional),
    heartbeatMs: Flag.Int("heartbeat-ms").pipe(Flag.withDescription("/v2/events heartbeat interval (Marathon: 10000)"), Flag.optional)
  },
  Effect.fn("Cli.marathonSim")(function*({ port, host, clock, taskStartDelayMs, healthyAfterMs, heartbeatMs }) {
    const { serve } = yield* Effect.promise(() => import("../../sim/MarathonSim.ts"))
    return yield* serve({
      port,
      host,
      clock,
      ...Option.match(taskStartDelayMs, { onNone: () => ({}), onSome: (ms) => ({ taskStartDelayMs: ms }) }),
      ...Option.match(healthyAfterMs, { onNone: () => ({}), onSome: (ms) => ({ healthyAfterMs: ms }) }),
      ...Option.match(heartbeatMs, { onNone: () => ({}), onSome: (ms) => ({ heartbeatMs: Math.max(1, ms) }) })
    }).pipe(Effect.scoped)
  })
).pipe(
  Command.withDescription("Run the Marathon 1.10 emulator (REST API, event stream, /__sim admin API)"),
  Command.withExamples([
    { command: "mdeploy marathon-sim --port 8080", description: "An emulated Marathon on 127.0.0.1:8080" },
    { command: "mdeploy marathon-sim --clock virtual", description: "Time moves only when a test advances it" }
  ])
)
