#!/usr/bin/env node
// Entry shim for the `mdeploy` binary. It runs the bundle in dist/ when fresh (see load()), else
// the TypeScript sources by Node's type stripping; both need Node >= 22: when an older Node starts
// this file (a bare `./bin/mdeploy.js` on a machine whose system Node is older), re-run it under
// the Node pinned in node_modules.
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

// An import of a built-in module evaluates every export (node:fs: fs/promises and readline with
// them), a few ms of every run; getBuiltinModule (Node >= 22.3) hands over the module as it is.
const builtin = async (name) => process.getBuiltinModule?.(name) ?? (await import(name))
const { existsSync, readFileSync, stat, statSync } = await builtin("node:fs")

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const major = Number(process.versions.node.split(".")[0])
if (major < 22) {
  const pinned = join(root, "node_modules", ".bin", "node")
  if (!existsSync(pinned)) {
    process.stderr.write(`mdeploy: needs Node >= 22 (found ${process.version}); run \`npm ci\` in ${root} first\n`)
    process.exit(2)
  }
  const { spawnSync } = await import("node:child_process")
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(result.status ?? 1)
} else {
  // Cache compiled code between runs, under the user's cache directory (NODE_COMPILE_CACHE
  // chooses another): a CLI pays its start-up on every invocation.
  const { enableCompileCache } = await builtin("node:module")
  const cacheHome = process.env.XDG_CACHE_HOME || join((await builtin("node:os")).homedir(), ".cache")
  enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(cacheHome, "mdeploy", "node-compile-cache"))
  // A bare version query needs none of the CLI: answer it before loading Effect (most of the
  // start-up of every other command).
  const args = process.argv.slice(2)
  if (args.length === 1 && (args[0] === "--version" || args[0] === "version")) {
    const { version } = await import(pathToFileURL(join(root, "src", "cli", "Version.ts")).href)
    process.stdout.write(`mdeploy v${version}\n`)
  } else {
    if (commandOf(args) === "controller") withControllerHeapFlags(args)
    await (await load()).main()
  }
}

/** The first word that is not a flag or a flag's value: the command. */
function commandOf(args) {
  const booleanFlags = new Set(["--help", "-h", "--version", "--verbose", "--force", "--dry-run"])
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]
    if (arg === "--") return args[index + 1]
    if (!arg.startsWith("-")) return arg
    // `--flag value` (global flags before the command); `--flag=value` and booleans are one word.
    if (arg.startsWith("--") && !arg.includes("=") && !booleanFlags.has(arg)) index++
  }
  return undefined
}

/**
 * The controller is long-lived and its live heap small (about 55 MB at 2,000 instances), but V8
 * sizes a heap for throughput alone: a young generation of up to 3 × 32 MB and an old generation
 * allowed to grow to several times what is live, so RSS settles near 8× the live heap (about
 * 750 MB at 10,000 instances). Smaller semi-spaces, and a heap limit 25 % over what is live after
 * each full collection once the leader is in sync (twice that during a burst of work), keep it
 * near 2×, for a CPU cost lost in the measurement noise (bench README). 25 %, not 50, while
 * settled: a resync that settles idle keys in memory allocates too little to force a full
 * collection, and each new Marathon list then came on top of the dead previous one. The limit waits for the sync (src/cli/ControllerHeap.ts says why) and is
 * passed in MDEPLOY_CONTROLLER_HEAP_GROWTH, with --expose-gc for the full collection asked for
 * then (ControllerHeap.ts); V8 takes semi-space sizes only when it starts, so the process replaces itself once with
 * these flags (execve: same pid, signals and exit code).
 *
 * Outside the JS heap, glibc's malloc raises its mmap threshold to the size of each large block
 * freed (up to 32 MB): after the first Marathon list, later multi-MB bodies and gRPC buffers were
 * carved from malloc's heap, whose freed memory stays in RSS (about 230 MB beside a 160 MB JS heap
 * at 10,000 instances). A fixed threshold (glibc's own default, 128 KiB, set: no longer moved)
 * keeps such blocks mapped and returns them when freed: RSS 341–373 MB against 397–430 without.
 *
 * MDEPLOY_CONTROLLER_NODE_FLAGS sets other flags ("" none, and neither the limit nor the
 * threshold); heap flags of the caller's own (NODE_OPTIONS, node's arguments) are kept, and then
 * none of these is set either.
 */
function withControllerHeapFlags(args) {
  if (process.env.MDEPLOY_CONTROLLER_HEAP === "set" || typeof process.execve !== "function") return
  const given = `${process.env.NODE_OPTIONS ?? ""} ${process.execArgv.join(" ")}`
  if (/--(max-semi-space-size|heap-growing-percent|max-old-space-size|max-heap-size|optimize-for-size)\b/.test(given)) return
  const configured = process.env.MDEPLOY_CONTROLLER_NODE_FLAGS
  const flags = configured === undefined ? ["--max-semi-space-size=8", "--expose-gc"] : configured.split(" ").filter((flag) => flag !== "")
  if (flags.length === 0) return
  const defaults = configured === undefined
    ? {
      MDEPLOY_CONTROLLER_HEAP_GROWTH: process.env.MDEPLOY_CONTROLLER_HEAP_GROWTH ?? "25",
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? "131072"
    }
    : {}
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...args], {
    ...process.env,
    ...defaults,
    MDEPLOY_CONTROLLER_HEAP: "set"
  })
}

/**
 * The bundle `npm run build` makes (scripts/build.ts says why it starts faster) while it is newer
 * than every file and directory under src/ it lists; the sources otherwise, so an edit since the
 * build is never run stale. MDEPLOY_FROM_SOURCE=1 always runs the sources. The bundle is loaded
 * while its sources are checked (loading runs nothing: the program starts in `main`), so the
 * check costs a fresh process no time of its own.
 */
async function load() {
  const fromSource = () => import(pathToFileURL(join(root, "src", "bin.ts")).href)
  if (process.env.MDEPLOY_FROM_SOURCE === "1") return fromSource()
  // Plain repository-relative names: concatenated, not path.join()ed, whose normalisation of some
  // 350 paths cost a fresh process about 5 ms.
  const prefix = `${root}/`
  const built = statSync(`${prefix}dist/mdeploy.js`, { throwIfNoEntry: false })?.mtimeMs
  if (built === undefined) return fromSource()
  // A list written by the build, not a walk of src/: a recursive readdir costs a fresh process
  // tens of milliseconds.
  let listed
  try {
    listed = readFileSync(`${prefix}dist/sources.txt`, "utf8").split("\n").filter((path) => path !== "")
  } catch {
    return fromSource()
  }
  const loading = import(pathToFileURL(`${prefix}dist/mdeploy.js`).href).then((module) => ({ module }), (error) => ({ error }))
  const fresh = await new Promise((resolve) => {
    let pending = listed.length
    if (pending === 0) return resolve(true)
    for (const path of listed) {
      stat(prefix + path, (error, stats) => {
        if (error !== null || stats.mtimeMs > built) resolve(false)
        else if (--pending === 0) resolve(true)
      })
    }
  })
  const loaded = await loading
  if (!fresh) return fromSource()
  if ("error" in loaded) throw loaded.error
  return loaded.module
}
