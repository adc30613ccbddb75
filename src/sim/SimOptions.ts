// Configuration of one emulator instance. Every field has a default (see `resolveOptions`), so
// callers pass only what they care about: `start({ clock: "virtual" })`.
import type { ClockMode } from "./clock/SimClock.ts"

export interface SimAuth {
  readonly user: string
  readonly password: string
  /** Realm named in `WWW-Authenticate`; Marathon's `--http_realm` default is "Mesosphere". */
  readonly realm?: string
}

export interface SimTls {
  /** PEM files of the server certificate (chain) and its private key. */
  readonly certFile: string
  readonly keyFile: string
}

export interface SimOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number
  /** Listen address; loopback by default, and nothing else is ever contacted. */
  readonly host: string
  readonly clock: ClockMode
  /** Virtual clock start (ms since the epoch). */
  readonly startTime: number
  /** TASK_STAGING → TASK_RUNNING (TASK_STARTING at half way). */
  readonly taskStartDelayMs: number
  /** TASK_RUNNING → first health check (which passes, by default). */
  readonly healthyAfterMs: number
  /** TASK_KILLING → TASK_KILLED. */
  readonly taskKillDelayMs: number
  /** Tasks stuck in staging/starting longer than this are killed and replaced (task_launch_timeout). */
  readonly taskLaunchTimeoutMs: number
  /** How often an instance that found no agent retries placement. */
  readonly offerIntervalMs: number
  readonly agents: number
  readonly auth: SimAuth | undefined
  /** Serve HTTPS with this certificate instead of plain HTTP. */
  readonly tls: SimTls | undefined
  /** `host:port` announced as leader; defaults to the address the emulator listens on. */
  readonly leaderHost: string | undefined
  readonly heartbeatMs: number
  readonly eventStreamMaxOutstanding: number
  readonly maxRunningDeployments: number
  /** Kill on the failure after the N-th consecutive one, as Marathon's code does (spec §4.6). */
  readonly killOnFailureAfterMax: boolean
  readonly seed: number
  /** Marathon version reported by /v2/info. */
  readonly version: string
}

export const defaultOptions: SimOptions = {
  port: 0,
  host: "127.0.0.1",
  clock: "real",
  startTime: Date.UTC(2026, 0, 1),
  taskStartDelayMs: 200,
  healthyAfterMs: 300,
  taskKillDelayMs: 100,
  taskLaunchTimeoutMs: 300_000,
  offerIntervalMs: 1_000,
  agents: 3,
  auth: undefined,
  tls: undefined,
  leaderHost: undefined,
  heartbeatMs: 10_000,
  eventStreamMaxOutstanding: 1024,
  maxRunningDeployments: 100,
  killOnFailureAfterMax: true,
  seed: 1,
  version: "1.10.26"
}

export const resolveOptions = (options: Partial<SimOptions> = {}): SimOptions => {
  const out: Record<string, unknown> = { ...defaultOptions }
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v
  return out as unknown as SimOptions
}
