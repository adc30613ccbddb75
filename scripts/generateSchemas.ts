// `make schemas`: regenerates schemas/serviceinstance.v1.json from the Effect Schema.
import { writeFileSync } from "node:fs"
import { serviceInstanceJsonSchemaText } from "../src/domain/ServiceInstanceJsonSchema.ts"

const target = new URL("../schemas/serviceinstance.v1.json", import.meta.url)
writeFileSync(target, serviceInstanceJsonSchemaText())
process.stdout.write(`wrote ${target.pathname}\n`)
