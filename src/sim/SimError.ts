// The one way starting the emulator can fail: the listener could not bind.
import { Schema } from "effect"

export class SimError extends Schema.TaggedError<SimError>()("SimError", {
  message: Schema.String,
  cause: Schema.Defect()
}) {}
