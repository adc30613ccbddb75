// The JSON Schema of a Notifier document, generated from the Effect Schema like the
// ServiceInstance one: `make schemas` writes schemas/notifier.v1.json; a test fails when the
// checked-in file is stale.
import { Schema } from "effect"
import { Notifier } from "./Notifier.ts"

export const notifierJsonSchemaId = "https://mdeploy.dev/schemas/notifier.v1.json"

export const notifierJsonSchema = (): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(Notifier, { onExcessProperty: "error" })
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: notifierJsonSchemaId,
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** The file's exact text: stable key order from the generator, two-space indent, final newline. */
export const notifierJsonSchemaText = (): string => `${JSON.stringify(notifierJsonSchema(), null, 2)}\n`
