// `npm run build` (run by `npm ci` as `prepare`, by `npm test` and before the integration tests):
// bundles src/bin.ts and Effect into dist/, one chunk per command as the sources load them.
// Why: run from the sources, `mdeploy get` loads about 550 modules, and resolving, reading and
// type-stripping them one by one was most of its start-up; bundled it loads about 200. Other
// npm packages stay external: etcd3 reads its .proto file next to itself, and they are CommonJS
// that gains nothing. bin/mdeploy.js runs the bundle only while it is newer than every file
// under src/, so an edit is never run stale; the sources are run instead until the next build.
import { renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { build } from "rolldown"

const root = join(import.meta.dirname, "..")
const target = join(root, "dist")
const staging = join(root, `dist.${process.pid}.tmp`)

/** Bundled: the sources and Effect (hundreds of small ES modules). Everything else is imported at run time. */
const bundled = (id: string) =>
  id.startsWith(".") || id.startsWith("/") || id === "effect" || id.startsWith("effect/") || id.startsWith("@effect/")

try {
  await build({
    input: { mdeploy: join(root, "src", "bin.ts") },
    platform: "node",
    external: (id) => !bundled(id),
    logLevel: "warn",
    output: {
      dir: staging,
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "chunks/[name]-[hash].js",
      // Stack traces and --cpu-prof name the source files.
      sourcemap: true
    }
  })
  // Swapped in whole, so a CLI started during a build finds the old bundle or the new one.
  rmSync(`${target}.old`, { recursive: true, force: true })
  try {
    renameSync(target, `${target}.old`)
  } catch {
    // No previous build.
  }
  renameSync(staging, target)
  rmSync(`${target}.old`, { recursive: true, force: true })
} catch (error) {
  rmSync(staging, { recursive: true, force: true })
  throw error
}
