// Pure: how the process logs (format, minimum level, where lines go), and the reading of
// `MDEPLOY_LOG_FORMAT` and `MDEPLOY_LOG_LEVEL` from plain variables. LogConfig.ts reads the same
// through Effect's Config (what every parsed command uses); the quick `get` uses this reading and
// leaves a value it does not accept to the parsed command, so both answer alike.
import type { LogLevel } from "effect"

export type LogFormat = "logfmt" | "json"
export const logFormats: ReadonlyArray<LogFormat> = ["logfmt", "json"]

export interface LogSettings {
  readonly format: LogFormat
  /** Undefined: keep the current minimum level (Effect's default is Info). */
  readonly level?: LogLevel.LogLevel | undefined
  /** Where lines go; default stderr. */
  readonly write?: ((line: string) => void) | undefined
}

export interface LogOptions {
  readonly format?: LogFormat | undefined
  readonly level?: LogLevel.LogLevel | undefined
  readonly write?: ((line: string) => void) | undefined
}

const logLevels = ["All", "Fatal", "Error", "Warn", "Info", "Debug", "Trace", "None"] as const

/** Case-insensitive, as people write it: debug, DEBUG and Debug all mean Debug; warning is Warn. */
export const logLevelOf = (text: string): LogLevel.LogLevel | undefined => {
  const wanted = text.trim().toLowerCase() === "warning" ? "warn" : text.trim().toLowerCase()
  return logLevels.find((level) => level.toLowerCase() === wanted)
}

/** The settings the variables ask for; undefined when either holds a value that is not accepted. */
export const logSettingsOf = (variable: (name: string) => string | undefined): LogSettings | undefined => {
  const format = variable("MDEPLOY_LOG_FORMAT") ?? "logfmt"
  if (!logFormats.includes(format as LogFormat)) return undefined
  const raw = variable("MDEPLOY_LOG_LEVEL")
  const level = raw === undefined ? undefined : logLevelOf(raw)
  if (raw !== undefined && level === undefined) return undefined
  return { format: format as LogFormat, level }
}
