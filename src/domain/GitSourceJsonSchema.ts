// The JSON Schema of a GitSource document, generated from the Effect Schema like the
// ServiceInstance one: `make schemas` writes schemas/gitsource.v1.json; a test fails when the
// checked-in file is stale.
import { Schema } from "effect"
import { GitSource } from "./GitSource.ts"

export const gitSourceJsonSchemaId = "https://mdeploy.dev/schemas/gitsource.v1.json"

export const gitSourceJsonSchema = (): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(GitSource, { onExcessProperty: "error" })
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: gitSourceJsonSchemaId,
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/** The file's exact text: stable key order from the generator, two-space indent, final newline. */
export const gitSourceJsonSchemaText = (): string => `${JSON.stringify(gitSourceJsonSchema(), null, 2)}\n`
