// The log settings read through Effect's Config (`MDEPLOY_LOG_FORMAT`, default logfmt, and
// `MDEPLOY_LOG_LEVEL`), whose errors name the variable and the accepted values; kept apart from
// TraceLogger.ts because Config loads Effect's config providers and streams with it, which the
// quick `get` does without (LogSettings.logSettingsOf).
import { Config, Effect, Layer, Option } from "effect"
import type { LogFormat, LogOptions, LogSettings } from "./LogSettings.ts"
import { logFormats, logLevelOf } from "./LogSettings.ts"
import * as TraceLogger from "./TraceLogger.ts"

/** `MDEPLOY_LOG_FORMAT`, default logfmt. */
export const logFormatConfig = Config.Literals(logFormats, "MDEPLOY_LOG_FORMAT").pipe(
  Config.withDefault<LogFormat>("logfmt")
)

/** Fills what `options` leaves open from `MDEPLOY_LOG_FORMAT` (default logfmt) and `MDEPLOY_LOG_LEVEL`. */
export const settingsFromEnv = (options: LogOptions = {}): Effect.Effect<LogSettings, Config.ConfigError> =>
  Effect.gen(function*() {
    const format = options.format ?? (yield* logFormatConfig)
    const raw = Option.getOrUndefined(yield* Config.option(Config.String("MDEPLOY_LOG_LEVEL")))
    // An unknown name falls through to the strict reader, whose error lists the valid ones.
    const level = options.level ??
      (raw === undefined ? undefined : logLevelOf(raw) ?? (yield* Config.LogLevel("MDEPLOY_LOG_LEVEL")))
    return { format, level, write: options.write }
  })

/** TraceLogger.layer with the settings `options` leaves open read from the environment. */
export const layerFromEnv = (options: LogOptions = {}): Layer.Layer<never, Config.ConfigError> =>
  Layer.unwrap(Effect.map(settingsFromEnv(options), TraceLogger.layer))
