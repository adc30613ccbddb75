// Edits the config file in place, keeping its comments and order (a YAML document edit, not a
// re-serialisation), and replaces it atomically: written beside it, then renamed over it. The
// file may name credentials files, so a new one is readable by its owner only.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import type { Document } from "yaml"
import { parseDocument } from "yaml"

export const updateConfigFile = (path: string, edit: (document: Document) => void): void => {
  let text = ""
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
  const document = parseDocument(text)
  if (document.contents === null) document.contents = document.createNode({}) as unknown as typeof document.contents
  edit(document)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, document.toString(), { mode: 0o600 })
  renameSync(temporary, path)
}

/** Sets `fields` of context `name` (creating it), and makes it current when `makeCurrent`. */
export const setContext = (path: string, name: string, fields: Readonly<Record<string, string>>, makeCurrent: boolean): void =>
  updateConfigFile(path, (document) => {
    if (!document.has("contexts") || document.get("contexts") === null) document.set("contexts", document.createNode({}))
    if (!document.hasIn(["contexts", name]) || document.getIn(["contexts", name]) === null) {
      document.setIn(["contexts", name], document.createNode({}))
    }
    for (const [field, value] of Object.entries(fields)) document.setIn(["contexts", name, field], value)
    if (makeCurrent) document.set("current-context", name)
  })
