// bin/mdeploy.js runs the bundle in dist/ only while no source it was built from is newer: an
// edit is never run stale. Checked on a copy of the layout (bin/, src/ with its times kept, dist/
// and node_modules linked), so the repository's own files are never touched: the module hook
// lists what each run loaded, first with the sources as built, then after one of them changed.
import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { repoRoot } from "../harness/cli.ts"

const hookSource = `import { registerHooks } from "node:module"
import { writeFileSync } from "node:fs"
const urls = []
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context) } })
process.on("exit", () => writeFileSync(process.env.MDEPLOY_TEST_MODULES, urls.join("\\n")))
`

let copy: string
beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "mdeploy-freshness-"))
  mkdirSync(join(copy, "bin"))
  // -p keeps each source's modification time: as built, the bundle is fresh.
  execFileSync("cp", ["-p", join(repoRoot, "bin", "mdeploy.js"), join(copy, "bin", "mdeploy.js")])
  execFileSync("cp", ["-rp", join(repoRoot, "src"), join(copy, "src")])
  execFileSync("cp", ["-p", join(repoRoot, "package.json"), join(copy, "package.json")])
  symlinkSync(join(repoRoot, "dist"), join(copy, "dist"))
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"))
  writeFileSync(join(copy, "hook.mjs"), hookSource)
})
afterAll(() => {
  rmSync(copy, { recursive: true, force: true })
})

const loaded = (label: string) => {
  const list = join(copy, `modules-${label}.txt`)
  const run = spawnSync(process.execPath, [join(copy, "bin", "mdeploy.js"), "get", "--help"], {
    env: {
      ...process.env,
      MDEPLOY_TEST_MODULES: list,
      MDEPLOY_FROM_SOURCE: "",
      NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --import=${pathToFileURL(join(copy, "hook.mjs")).href}`
    },
    encoding: "utf8"
  })
  assert.strictEqual(run.status, 0, run.stderr)
  assert.include(run.stdout, "mdeploy get")
  return readFileSync(list, "utf8").split("\n")
}

describe("bin/mdeploy.js runs the bundle only while it is fresh", () => {
  it("runs the bundle as built, and the sources once one of them is newer", () => {
    const asBuilt = loaded("fresh")
    assert.isTrue(asBuilt.some((url) => url.includes("/dist/chunks/")), "the bundle")
    assert.isFalse(asBuilt.some((url) => url.endsWith("/src/bin.ts")), "no source")

    const edited = join(copy, "src", "domain", "Labels.ts")
    const later = new Date(Date.now() + 60_000)
    utimesSync(edited, later, later)
    const afterEdit = loaded("edited")
    assert.isTrue(afterEdit.some((url) => url === pathToFileURL(join(copy, "src", "bin.ts")).href), "the sources")
    assert.isTrue(afterEdit.some((url) => url === pathToFileURL(edited).href), "the edited source itself")
  })
})
