// `make schemas`: regenerates schemas/serviceinstance.v1.json, gitsource.v1.json and notifier.v1.json from the Effect Schemas.
import { writeFileSync } from "node:fs"
import { gitSourceJsonSchemaText } from "../src/domain/GitSourceJsonSchema.ts"
import { notifierJsonSchemaText } from "../src/domain/NotifierJsonSchema.ts"
import { serviceInstanceJsonSchemaText } from "../src/domain/ServiceInstanceJsonSchema.ts"

for (
  const [file, text] of [["serviceinstance.v1.json", serviceInstanceJsonSchemaText()], [
    "gitsource.v1.json",
    gitSourceJsonSchemaText()
  ], ["notifier.v1.json", notifierJsonSchemaText()]] as const
) {
  const target = new URL(`../schemas/${file}`, import.meta.url)
  writeFileSync(target, text)
  process.stdout.write(`wrote ${target.pathname}\n`)
}
