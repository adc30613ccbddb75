// `mdeploy marathon-sim`: a Marathon 1.10 emulator (design.md §7, spec/marathon-emulator.md).
//
// In-process (tests, benchmarks):  const sim = await start({ clock: "virtual" }); … await sim.close()
// CLI / scoped Effect:              serve({ port: 8080, clock: "real" })  — Effect<never, SimError, Scope>
//   Options are SimOptions (all optional): port (0 = free), host (default 127.0.0.1), clock
//   ("real" | "virtual"), taskStartDelayMs, healthyAfterMs, taskKillDelayMs, auth {user, password,
//   realm?}, tls {certFile, keyFile} (HTTPS), leaderHost, agents, heartbeatMs, seed. `make` gives
//   the RunningSim inside a Scope.
import { Effect, type Scope } from "effect"
import { readFileSync } from "node:fs"
import { createSecureContext } from "node:tls"
import type { SimEvent } from "./events/EventBus.ts"
import { SimServer } from "./http/SimServer.ts"
import { SimError } from "./SimError.ts"
import { resolveOptions, type SimOptions, type SimTls } from "./SimOptions.ts"
import { Sim } from "./state/Sim.ts"

export type { SimOptions } from "./SimOptions.ts"

export interface RunningSim {
  /** Base URL, e.g. `http://127.0.0.1:43121` (`https://` with `tls`). */
  readonly url: string
  readonly port: number
  readonly options: SimOptions
  /** The state model, for direct inspection in tests. */
  readonly sim: Sim
  readonly server: SimServer
  /** Advances the virtual clock (throws with the real clock). */
  advance(ms: number): void
  /** Listens to every event in-process (no stream faults); returns the unsubscribe function. */
  onEvent(listener: (event: SimEvent) => void, types?: ReadonlyArray<string>): () => void
  close(): Promise<void>
}

class TlsFilesError extends Error {}

const readTls = (files: SimTls): { cert: Buffer; key: Buffer } => {
  try {
    const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }
    createSecureContext(pair)
    return pair
  } catch (cause) {
    throw new TlsFilesError(`marathon-sim cannot use its TLS certificate or key: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}

export const start = async (options: Partial<SimOptions> = {}): Promise<RunningSim> => {
  const resolved = resolveOptions(options)
  // Read before anything starts, so a wrong path fails alone and leaves no timers behind.
  const tls = resolved.tls === undefined ? undefined : readTls(resolved.tls)
  const sim = new Sim(resolved)
  const server = new SimServer(sim, tls)
  let port: number
  try {
    port = await server.listen(resolved.port, resolved.host)
  } catch (e) {
    sim.close()
    throw e
  }
  let closed = false
  return {
    url: `${tls === undefined ? "http" : "https"}://${resolved.host}:${port}`,
    port,
    options: resolved,
    sim,
    server,
    advance: (ms) => void sim.ctx.clock.advance(ms),
    onEvent: (listener, types) =>
      sim.ctx.events.subscribe({ types: types === undefined ? undefined : new Set(types), faultable: false, deliver: listener }),
    close: async () => {
      if (closed) return
      closed = true
      await server.close()
      sim.close()
    }
  }
}

/** The emulator as a scoped resource: listening until the scope closes. */
export const make = (options: Partial<SimOptions> = {}): Effect.Effect<RunningSim, SimError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(options),
      catch: (cause) =>
        new SimError({
          message: cause instanceof TlsFilesError
            ? cause.message
            : `marathon-sim could not listen on ${options.host ?? "127.0.0.1"}:${options.port ?? 0}`,
          cause
        })
    }),
    (running) => Effect.promise(() => running.close())
  )

/** Runs the emulator until interrupted (the `mdeploy marathon-sim` command). */
export const serve = (options: Partial<SimOptions> = {}): Effect.Effect<never, SimError, Scope.Scope> =>
  Effect.gen(function*() {
    const running = yield* make(options)
    const auth = running.options.auth === undefined ? "" : ", basic auth required"
    yield* Effect.logInfo(`marathon-sim listening on ${running.url} (clock: ${running.options.clock}${auth})`)
    return yield* Effect.never
  })
