// `mdeploy marathon-sim`: the Marathon 1.10 emulator (design.md §7) as a long-running process for
// local development, demos and CI of users' own specs. Listens on loopback unless --host says else;
// serves HTTPS with --tls-cert/--tls-key and requires basic auth with --basic-auth, as Marathon's
// --ssl_keystore_path and --http_credentials do (the /__sim admin API stays open).
import { Config, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { CliExit, ExitCode } from "../CliExit.ts"

/** "user:password", split at the last colon as Marathon splits --http_credentials. */
export const parseBasicAuth = (value: string): { user: string; password: string } | undefined => {
  const split = value.lastIndexOf(":")
  return split <= 0 || split === value.length - 1 ? undefined : { user: value.slice(0, split), password: value.slice(split + 1) }
}

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
    heartbeatMs: Flag.Int("heartbeat-ms").pipe(Flag.withDescription("/v2/events heartbeat interval (Marathon: 10000)"), Flag.optional),
    tlsCert: Flag.String("tls-cert").pipe(Flag.withDescription("PEM certificate file: serve HTTPS (with --tls-key)"), Flag.optional),
    tlsKey: Flag.String("tls-key").pipe(Flag.withDescription("PEM private key file of --tls-cert"), Flag.optional),
    basicAuth: Flag.String("basic-auth").pipe(
      Flag.withFallbackConfig(Config.String("MDEPLOY_SIM_BASIC_AUTH")),
      Flag.withDescription("USER:PASS required as HTTP basic auth on /v2 and /ping, 401 otherwise (env MDEPLOY_SIM_BASIC_AUTH)"),
      Flag.optional
    )
  },
  Effect.fn("Cli.marathonSim")(function*({ port, host, clock, taskStartDelayMs, healthyAfterMs, heartbeatMs, tlsCert, tlsKey, basicAuth }) {
    const usage = (line: string) => Effect.fail(new CliExit({ code: ExitCode.error, lines: [`error: ${line}`] }))
    if (Option.isSome(tlsCert) !== Option.isSome(tlsKey)) return yield* usage("--tls-cert and --tls-key go together")
    const auth = Option.map(basicAuth, parseBasicAuth)
    if (Option.isSome(auth) && auth.value === undefined) return yield* usage("--basic-auth: expected USER:PASS")
    const { serve } = yield* Effect.promise(() => import("../../sim/MarathonSim.ts"))
    return yield* serve({
      port,
      host,
      clock,
      ...(Option.isSome(tlsCert) && Option.isSome(tlsKey) ? { tls: { certFile: tlsCert.value, keyFile: tlsKey.value } } : {}),
      ...(Option.isSome(auth) && auth.value !== undefined ? { auth: auth.value } : {}),
      ...Option.match(taskStartDelayMs, { onNone: () => ({}), onSome: (ms) => ({ taskStartDelayMs: ms }) }),
      ...Option.match(healthyAfterMs, { onNone: () => ({}), onSome: (ms) => ({ healthyAfterMs: ms }) }),
      ...Option.match(heartbeatMs, { onNone: () => ({}), onSome: (ms) => ({ heartbeatMs: Math.max(1, ms) }) })
    }).pipe(Effect.scoped)
  })
).pipe(
  Command.withDescription("Run the Marathon 1.10 emulator (REST API, event stream, /__sim admin API)"),
  Command.withExamples([
    { command: "mdeploy marathon-sim --port 8080", description: "An emulated Marathon on 127.0.0.1:8080" },
    { command: "mdeploy marathon-sim --clock virtual", description: "Time moves only when a test advances it" },
    {
      command: "mdeploy marathon-sim --tls-cert server.crt --tls-key server.key --basic-auth admin:secret",
      description: "HTTPS with basic auth, as a Marathon started with --ssl_keystore_path and --http_credentials"
    }
  ])
)
