// The telemetry layer without its import cost: Telemetry.ts, and the OpenTelemetry SDK with it,
// is loaded when the layer is built, not when a command module is imported. The CLI wires
// long-running commands (controller) through this, so `mdeploy get` never loads the SDK.
import { Effect, Layer } from "effect"
import type { Telemetry, TelemetryError, TelemetryOptions } from "./Telemetry.ts"

/** `Telemetry.layer(options)`, importing Telemetry.ts on first build. */
export const layer = (options: TelemetryOptions): Layer.Layer<Telemetry, TelemetryError> =>
  Layer.unwrap(Effect.map(Effect.promise(() => import("./Telemetry.ts")), (module) => module.Telemetry.layer(options)))
