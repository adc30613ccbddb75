// A Marathon answer that contradicted what was known (design.md §11): nothing is done on it, and
// the pass that met it is retried like any other failed pass.
import { Schema } from "effect"

export class UntrustedAnswer extends Schema.TaggedError<UntrustedAnswer>()("UntrustedAnswer", {
  reason: Schema.String,
  message: Schema.String
}) {}
