#!/usr/bin/env node
// Entry shim for the `mdeploy` binary. The sources are TypeScript run by Node's type stripping,
// which needs Node >= 22; when an older Node starts this file (a bare `./bin/mdeploy.js` on a
// machine whose system Node is older), re-run it under the Node pinned in node_modules.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const major = Number(process.versions.node.split(".")[0])
if (major < 22) {
  const pinned = join(root, "node_modules", ".bin", "node")
  if (!existsSync(pinned)) {
    process.stderr.write(`mdeploy: needs Node >= 22 (found ${process.version}); run \`npm ci\` in ${root} first\n`)
    process.exit(2)
  }
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(result.status ?? 1)
} else {
  // Cache compiled code between runs: a CLI pays its start-up on every invocation.
  const { enableCompileCache } = await import("node:module")
  enableCompileCache?.()
  // A bare version query needs none of the CLI: answer it before loading Effect (most of the
  // start-up of every other command).
  const args = process.argv.slice(2)
  if (args.length === 1 && (args[0] === "--version" || args[0] === "version")) {
    const { version } = await import(pathToFileURL(join(root, "src", "cli", "Version.ts")).href)
    process.stdout.write(`mdeploy v${version}\n`)
  } else {
    await import(pathToFileURL(join(root, "src", "bin.ts")).href)
  }
}
