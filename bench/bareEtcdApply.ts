// The floor of the apply benchmark: read the same manifest files, then create each key with the
// same compare-and-swap transaction mdeploy uses (create-if-absent), 16 in flight, with a bare
// etcd3 client. Prints the write phase in milliseconds.
import { Etcd3 } from "etcd3"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parseAllDocuments } from "yaml"

const [dir, prefix, endpoints] = process.argv.slice(2) as [string, string, string]
const client = new Etcd3({ hosts: endpoints.split(",").map((url) => url.replace(/^https?:\/\//, "")) })
const documents = readdirSync(dir).sort().flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((document) => document.toJS() as { metadata: { name: string } })
)
const started = performance.now()
let next = 0
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < documents.length) {
    const document = documents[next++]!
    const key = `${prefix}/specs/${document.metadata.name}`
    const result = await client.if(key, "Create", "==", 0).then(client.put(key).value(JSON.stringify(document))).commit()
    if (!result.succeeded) throw new Error(`${key} exists`)
  }
}))
process.stdout.write(`${(performance.now() - started).toFixed(1)}\n`)
client.close()
