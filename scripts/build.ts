// `npm run build` (run by `npm ci` as `prepare`, and before the integration tests, so by `npm test`):
// bundles src/bin.ts and its dependencies into dist/, one chunk per command as the sources load
// them. Why: run from the sources, `mdeploy get` loads about 550 modules, and resolving, reading,
// type-stripping and compiling them one by one was most of its start-up. bin/mdeploy.js runs the
// bundle only while it is newer than every file under src/, so an edit is never run stale; the
// sources are run instead until the next build.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { build, type Plugin } from "rolldown"

const root = join(import.meta.dirname, "..")
const target = join(root, "dist")
const staging = join(root, `dist.${process.pid}.tmp`)

// Bundled: the sources, Effect (hundreds of small ES modules) and the etcd client with what it
// loads (gRPC, protobuf.js: about 150 CommonJS files), the start-up of every etcd command. Other
// packages are imported at run time as they are: they load only in the commands that need them,
// and some do not survive bundling (undici's CommonJS exports).
const bundledPackages =
  /^(effect|@effect\/[^/]+|etcd3|@grpc\/[^/]+|protobufjs|@protobufjs\/[^/]+|long|lodash\.camelcase|bignumber\.js|@js-sdsl\/[^/]+|cockatiel)(\/|$)/
const external = (id: string) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0") && !bundledPackages.test(id)

// Bundled CommonJS that reads files next to itself (etcd3 parses ../proto/rpc.proto when it
// loads) must still find them: `__dirname` in node_modules becomes a marker naming the original
// directory, turned into a path relative to the chunk it lands in once chunks are written.
const marker = "__mdeployDirname__"
const keepDirname: Plugin = {
  name: "keep-dirname",
  transform(code, id) {
    if (!id.includes("/node_modules/") || !code.includes("__dirname")) return null
    return code.replace(/\b__dirname\b/g, `${marker}(${JSON.stringify(dirname(id))})`)
  },
  renderChunk(code, chunk) {
    if (!code.includes(marker)) return null
    const chunkDir = dirname(join(target, chunk.fileName))
    return code.replace(
      new RegExp(`${marker}\\(("[^"]*")\\)`, "g"),
      (_, original: string) => `(import.meta.dirname + ${JSON.stringify(`/${relative(chunkDir, JSON.parse(original) as string)}`)})`
    )
  }
}

// The modules a plain `get` runs (src/cli/QuickGet.ts) go into one chunk, with the parts of Effect
// only they share: Node resolves, reads and instantiates each chunk file on its own, and fifty
// small chunks cost `get` more than the code in them. Whatever else imports them loads that chunk.
const quickGetModules =
  /[\\/]src[\\/](domain[\\/][^\\/]+|cli[\\/](render[\\/](InstanceTable|Table)|commands[\\/]get[\\/].*|CliExit|ExitStatus|SignalStop|ConnectionOptions|StoreLayers|QuickGet|QuickGetArgs|KubectlArgs|config[\\/]ActiveContext)|store[\\/](SpecStore|StatusStore|StoreError|Keys|EtcdOptions|GatewayStores|GatewayTransport|EtcdGateway|GitSourceStore|NotifierStore|EtcdClient|EtcdSpecStore|internal[\\/]txnBatches)|telemetry[\\/]TraceLogger)\.ts$/

const started = new Date()
try {
  await build({
    input: { mdeploy: join(root, "src", "bin.ts") },
    platform: "node",
    external,
    plugins: [keepDirname],
    logLevel: "warn",
    // keep-dirname keeps every line where it was, so the source maps stay right to the line.
    onLog: (level, log, handler) => {
      if (log.code === "SOURCEMAP_BROKEN" && log.plugin === "keep-dirname") return
      handler(level, log)
    },
    output: {
      dir: staging,
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "chunks/[name]-[hash].js",
      codeSplitting: { groups: [{ name: "core", test: (id: string) => quickGetModules.test(id) }] },
      // Whitespace and comments only: every byte is read, decoded and hashed (compile cache) on
      // each run, and gRPC and protobuf.js are mostly comments. Names and code stay as written,
      // so error messages and `_tag`s are the same as from the sources.
      minify: { compress: false, mangle: false, codegen: { removeWhitespace: true } },
      // Stack traces (node --enable-source-maps) and --cpu-prof name the source files.
      sourcemap: true,
      // Plain ASCII: Node reads a source with a single non-ASCII character as UTF-16, decoding
      // and hashing twice the bytes on every start (measured: 8 ms of `get`'s start-up).
      charset: "ascii"
    }
  })
  // bin/mdeploy.js's freshness check: every file and directory under src/ (a directory's mtime
  // moves when a file is added or removed), and the bundle dated from the start of the build, so
  // that an edit made while it ran counts as newer.
  const sources = join(root, "src")
  const listed = ["src", ...readdirSync(sources, { recursive: true }).map((file) => relative(root, join(sources, String(file))))]
  writeFileSync(join(staging, "sources.txt"), `${listed.join("\n")}\n`)
  utimesSync(join(staging, "mdeploy.js"), started, started)
  // Chunks are named by content hash and never replaced: a process started from the previous
  // build may still import one lazily (a command loads its code on demand). The entry file is
  // renamed over the old one last, so a CLI starting now finds one whole build or the other.
  mkdirSync(join(target, "chunks"), { recursive: true })
  const current = new Set(readdirSync(join(staging, "chunks")))
  for (const file of current) {
    const path = join(target, "chunks", file)
    if (existsSync(path)) utimesSync(path, started, started)
    else renameSync(join(staging, "chunks", file), path)
  }
  // Chunks no build has used for a week go, so that a clone's dist/ does not grow forever; a
  // process started from a build that old and still running may then need a restart.
  for (const file of readdirSync(join(target, "chunks"))) {
    const path = join(target, "chunks", file)
    if (!current.has(file) && started.getTime() - statSync(path).mtimeMs > 7 * 86_400_000) rmSync(path, { force: true })
  }
  for (const file of ["sources.txt", "mdeploy.js.map", "mdeploy.js"]) renameSync(join(staging, file), join(target, file))
  rmSync(staging, { recursive: true, force: true })
} catch (error) {
  rmSync(staging, { recursive: true, force: true })
  throw error
}
