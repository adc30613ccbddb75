// The JSON Schema of a ServiceInstance document, generated from the Effect Schema so the two can
// never disagree. `make schemas` writes it to schemas/serviceinstance.v1.json; a test fails when the
// checked-in file is stale. Editors use it through `# yaml-language-server: $schema=...`.
import { Schema } from "effect"
import { ServiceInstance } from "./ServiceInstance.ts"

export const jsonSchemaId = "https://mdeploy.dev/schemas/serviceinstance.v1.json"

export const serviceInstanceJsonSchema = (): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(ServiceInstance, { onExcessProperty: "error" })
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: jsonSchemaId,
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** The file's exact text: stable key order from the generator, two-space indent, final newline. */
export const serviceInstanceJsonSchemaText = (): string => `${JSON.stringify(serviceInstanceJsonSchema(), null, 2)}\n`
