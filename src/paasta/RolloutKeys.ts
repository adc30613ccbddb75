// The PaaSTA keys that decide how an instance is checked, bounced and drained → spec.healthCheck,
// spec.bounce and spec.drain. PaaSTA takes the defaults of the first two from the SmartStack
// namespace of the instance: with a `proxy_port` the instance is "in SmartStack" and gets an HTTP
// health check, hacheck draining with a 60 s delay and the HAProxy bounce check.
import type { Drain } from "../domain/Drain.ts"
import type { HealthCheck } from "../domain/HealthCheck.ts"
import type { Bounce } from "../domain/Bounce.ts"
import { type ConfigReader, isRecord, notMapped, scalarText } from "./ConfigReader.ts"

/** The SmartStack namespace of the instance's first registration, if smartstack.yaml has one. */
export type SmartstackNamespace = Readonly<Record<string, unknown>> | undefined

const inSmartstack = (namespace: SmartstackNamespace) => namespace?.["proxy_port"] !== undefined && namespace["proxy_port"] !== null

const protocols: Readonly<Record<string, HealthCheck["protocol"]>> = {
  http: "MESOS_HTTP",
  https: "MESOS_HTTPS",
  tcp: "TCP",
  cmd: "COMMAND"
}

export const healthCheckFrom = (reader: ConfigReader, namespace: SmartstackNamespace): HealthCheck | undefined => {
  const fallbackMode = namespace?.["healthcheck_mode"] ?? namespace?.["mode"] ?? (inSmartstack(namespace) ? "http" : undefined)
  const mode = reader.string("healthcheck_mode") ?? (typeof fallbackMode === "string" ? fallbackMode : undefined)
  const uri = reader.string("healthcheck_uri") ??
    (typeof namespace?.["healthcheck_uri"] === "string" ? namespace["healthcheck_uri"] : undefined)
  const command = reader.string("healthcheck_cmd")
  const timing = {
    gracePeriodSeconds: reader.number("healthcheck_grace_period_seconds"),
    intervalSeconds: reader.number("healthcheck_interval_seconds"),
    timeoutSeconds: reader.number("healthcheck_timeout_seconds"),
    maxConsecutiveFailures: reader.number("healthcheck_max_consecutive_failures")
  }
  if (mode === undefined) return undefined
  const protocol = protocols[mode]
  if (protocol === undefined) {
    reader.note("healthcheck_mode", `${mode}: ${notMapped} (one of http, https, tcp, cmd)`)
    return undefined
  }
  const defined = Object.fromEntries(Object.entries(timing).filter(([, value]) => value !== undefined))
  return {
    protocol,
    ...(protocol === "MESOS_HTTP" || protocol === "MESOS_HTTPS" ? { path: uri ?? "/status" } : {}),
    // PaaSTA's default command check always passes.
    ...(protocol === "COMMAND" ? { command: command ?? "/bin/true" } : {}),
    ...defined
  }
}

export const bounceFrom = (reader: ConfigReader): Bounce | undefined => {
  const method = reader.string("bounce_method")
  const marginFactor = reader.number("bounce_margin_factor")
  const health = reader.record("bounce_health_params") ?? {}
  let minTaskUptimeSeconds: number | undefined
  for (const [key, value] of Object.entries(health)) {
    if (key === "min_task_uptime" && typeof value === "number") minTaskUptimeSeconds = value
    else reader.note(`bounce_health_params.${key}`, notMapped)
  }
  const bounce = {
    ...(method === undefined ? {} : { method: method as NonNullable<Bounce["method"]> }),
    ...(marginFactor === undefined ? {} : { marginFactor }),
    ...(minTaskUptimeSeconds === undefined ? {} : { minTaskUptimeSeconds })
  }
  return Object.keys(bounce).length === 0 ? undefined : bounce
}

const httpCallKeys = { drain: "drain", stop_draining: "stopDraining", is_draining: "isDraining", is_safe_to_kill: "isSafeToKill" } as const
const callFieldKeys: Readonly<Record<string, string>> = { url_format: "urlFormat", method: "method", success_codes: "successCodes" }
const hacheckKeys: Readonly<Record<string, string>> = { delay: "delay", hacheck_port: "hacheckPort", expiration: "expiration" }

const renamed = (reader: ConfigReader, prefix: string, value: unknown, names: Readonly<Record<string, string>>) => {
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(isRecord(value) ? value : {})) {
    const name = names[key]
    if (name === undefined) reader.note(`${prefix}.${key}`, notMapped)
    else out[name] = field
  }
  return out
}

export const drainFrom = (reader: ConfigReader, namespace: SmartstackNamespace): Drain | undefined => {
  const smartstack = inSmartstack(namespace)
  const method = reader.string("drain_method") ?? (smartstack ? "hacheck" : "noop")
  // Supplying the params replaces PaaSTA's default entirely (so `{}` for hacheck means delay 240).
  const params = reader.has("drain_method_params") ? reader.record("drain_method_params") ?? {} : smartstack ? { delay: 60 } : {}
  const registrations = reader.array("registrations")?.map(scalarText)
  switch (method) {
    case "noop":
      for (const key of Object.keys(params)) reader.note(`drain_method_params.${key}`, notMapped)
      return reader.has("drain_method") ? { method: "noop" } : undefined
    case "test":
      return { method: "test", params: renamed(reader, "drain_method_params", params, { delay: "delay" }) }
    case "hacheck": {
      const mapped = renamed(reader, "drain_method_params", params, hacheckKeys)
      return {
        method: "hacheck",
        params: { ...mapped, ...(registrations === undefined ? {} : { registrations }) }
      } as Drain
    }
    case "http": {
      const calls: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(params)) {
        const call = httpCallKeys[key as keyof typeof httpCallKeys]
        if (call === undefined) reader.note(`drain_method_params.${key}`, notMapped)
        else calls[call] = renamed(reader, `drain_method_params.${key}`, value, callFieldKeys)
      }
      return { method: "http", params: calls } as Drain
    }
    default:
      reader.note("drain_method", `${method}: ${notMapped} (one of noop, hacheck, http, test)`)
      return undefined
  }
}
