import { assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

// The import boundaries of design.md §9, read from the source: only store/ talks to etcd, only
// telemetry/ and the composition root load OpenTelemetry, only the HTTP edges speak HTTP, and the
// pure core (domain/, plan/, bounce/) reaches nothing effectful, not even through another module.
// Type-only imports are left out: they are erased and run nothing (the controller names the
// HttpClient it needs without speaking HTTP itself).

const root = join(import.meta.dirname, "..", "..")

interface Import {
  /** Repository-relative path of the importing file. */
  readonly file: string
  readonly specifier: string
  readonly line: number
  readonly typeOnly: boolean
}

const tsFiles = (dir: string): Array<string> =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()

/** Comments blanked (newlines kept, so line numbers hold), strings and code untouched. */
const withoutComments = (text: string): string =>
  text.replace(/^[ \t]*\/\*[\s\S]*?\*\//gm, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/^[ \t]*\/\/.*$/gm, "")

const lineOf = (text: string, index: number) => text.slice(0, index).split("\n").length

/** `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`, and a global `fetch(` as "fetch()". */
export const importsOf = (file: string, source: string): Array<Import> => {
  const text = withoutComments(source)
  const found: Array<Import> = []
  const clause = String.raw`(type\s+)?(\{[^}]*\}|\*\s+as\s+\w+|\*|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)`
  for (const match of text.matchAll(new RegExp(String.raw`^[ \t]*(?:import|export)\s+${clause}\s+from\s+["']([^"']+)["']`, "gm"))) {
    // `import { type A, type B }` is type-only too.
    const names = match[2]!.startsWith("{")
      ? match[2]!.slice(1, -1).split(",").map((name) => name.trim()).filter((name) => name !== "")
      : []
    const typeOnly = match[1] !== undefined || (names.length > 0 && names.every((name) => name.startsWith("type ")))
    found.push({ file, specifier: match[3]!, line: lineOf(text, match.index), typeOnly })
  }
  for (const match of text.matchAll(/^[ \t]*import\s+["']([^"']+)["']/gm)) {
    found.push({ file, specifier: match[1]!, line: lineOf(text, match.index), typeOnly: false })
  }
  for (const match of text.matchAll(/(?<![\w$.])import\(\s*["']([^"']+)["']\s*\)/g)) {
    // `typeof import("x")` in a type position runs nothing.
    const typeOnly = /typeof\s+$/.test(text.slice(Math.max(0, match.index - 16), match.index))
    found.push({ file, specifier: match[1]!, line: lineOf(text, match.index), typeOnly })
  }
  for (const match of text.matchAll(/(?<![\w$.])(?:globalThis\.)?fetch\(/g)) {
    found.push({ file, specifier: "fetch()", line: lineOf(text, match.index), typeOnly: false })
  }
  return found
}

const sourceFiles = tsFiles("src")
const sources = new Map(sourceFiles.map((file) => [file, readFileSync(join(root, file), "utf8")]))
const imports = sourceFiles.flatMap((file) => importsOf(file, sources.get(file)!))
const runtime = imports.filter((entry) => !entry.typeOnly)

const show = (entries: ReadonlyArray<Import>) =>
  entries.map((entry) => `  ${entry.file}:${entry.line} imports "${entry.specifier}"`).join("\n")

const under = (file: string, places: ReadonlyArray<string>) =>
  places.some((place) => (place.endsWith("/") ? file.startsWith(place) : file === place))

/** Fails with every import of a module matching `module` from a file outside `allowed`. */
const onlyFrom = (what: string, module: (specifier: string) => boolean, allowed: ReadonlyArray<string>) => {
  const offending = runtime.filter((entry) => module(entry.specifier) && !under(entry.file, allowed))
  assert.deepStrictEqual(offending, [], `${what} outside ${allowed.join(", ")}:\n${show(offending)}`)
}

const compositionRoot = ["src/Layers.ts", "src/bin.ts"]

const isEtcd = (specifier: string) => specifier === "etcd3" || specifier === "cockatiel"
const isOpenTelemetry = (specifier: string) => specifier.startsWith("@opentelemetry/") || specifier.startsWith("@effect/opentelemetry")
const isHttp = (specifier: string) =>
  ["node:http", "node:https", "node:http2", "http", "https", "http2", "undici", "fetch()"].includes(specifier) ||
  /^effect\/(unstable\/)?http(\/|$)/.test(specifier) ||
  /^@effect\/platform-node\/NodeHttp/.test(specifier)

/** Everything a pure module must not reach: I/O, clocks of other processes, the network, etcd. */
const isEffectful = (specifier: string) =>
  isEtcd(specifier) || isOpenTelemetry(specifier) || isHttp(specifier) ||
  // node:crypto stays: the core hashes (config hashes, app ids) and hashing is pure.
  ((specifier.startsWith("node:") || ["fs", "net", "child_process", "os", "process"].includes(specifier)) && specifier !== "node:crypto") ||
  specifier.startsWith("@effect/platform") || specifier.startsWith("effect/unstable/") || specifier === "effect/cli"

const resolveRelative = (entry: Import): string => relative(root, resolve(dirname(join(root, entry.file)), entry.specifier))

/** Fails when any of `pure` reaches an effectful module, directly or through relative imports. */
const assertPure = (pure: ReadonlyArray<string>) => {
  const offending: Array<string> = []
  for (const start of pure) {
    // Depth-first over relative runtime imports, remembering the path for the message.
    const seen = new Set<string>()
    const visit = (file: string, path: ReadonlyArray<string>) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const entry of runtime.filter((each) => each.file === file)) {
        if (entry.specifier.startsWith(".")) {
          const target = resolveRelative(entry)
          if (sources.has(target)) visit(target, [...path, target])
        } else if (isEffectful(entry.specifier)) {
          offending.push(`  ${[...path].join(" → ")}:${entry.line} imports "${entry.specifier}"`)
        }
      }
    }
    visit(start, [start])
  }
  assert.deepStrictEqual(offending, [], `the pure core reaches effectful modules:\n${[...new Set(offending)].join("\n")}`)
}

describe("import boundaries (design.md §9)", () => {
  it("finds the imports it checks (the parser is not blind)", () => {
    const parsed = importsOf(
      "x.ts",
      [
        `import { a } from "one"`,
        `import type { B } from "two"`,
        `import {\n  type C,\n  type D\n} from "three"`,
        `import * as E from "four"`,
        `export { f } from "five"`,
        `import "six"`,
        `const g = await import("seven")`,
        `type H = typeof import("eight")`,
        `// import { i } from "nine"`,
        `const j = await fetch("http://x")`,
        `import k, { l } from "ten"`
      ].join("\n")
    )
    assert.deepStrictEqual(parsed.map((entry) => `${entry.specifier}${entry.typeOnly ? " (type)" : ""}@${entry.line}`), [
      "one@1",
      "two (type)@2",
      "three (type)@3",
      "four@7",
      "five@8",
      "ten@14",
      "six@9",
      "seven@10",
      "eight (type)@11",
      "fetch()@13"
    ])
    // Every file in src/ has imports, and the known edges are seen.
    assert.isAbove(sourceFiles.length, 50)
    const known = [
      ["src/store/EtcdClient.ts", "etcd3"],
      ["src/marathon/MarathonClient.ts", "effect/http"],
      ["src/telemetry/Telemetry.ts", "@opentelemetry/exporter-prometheus"]
    ]
    for (const [file, specifier] of known) {
      assert.isTrue(runtime.some((entry) => entry.file === file && entry.specifier === specifier), `${file} → ${specifier} not found`)
    }
  })

  it("only store/ talks to etcd (etcd3 and its retry library)", () => {
    onlyFrom("etcd3", isEtcd, ["src/store/"])
  })

  it("only telemetry/ and the composition root load OpenTelemetry", () => {
    onlyFrom("OpenTelemetry", isOpenTelemetry, ["src/telemetry/", ...compositionRoot])
  })

  it("only the HTTP edges speak HTTP", () => {
    onlyFrom("HTTP", isHttp, [
      "src/marathon/",
      "src/drain/",
      "src/sim/",
      "src/notify/",
      // The controller's HTTP server: the status page and its API (§13).
      "src/ui/",
      // Exporting telemetry is HTTP: the Prometheus endpoint, OTLP/HTTP export, the test receiver.
      "src/telemetry/",
      ...compositionRoot,
      // Start a local etcd and poll its /health until it serves (tests; the demo's fixed ports).
      "src/store/LocalEtcd.ts",
      "src/cli/demo/DemoEtcd.ts"
    ])
  })

  it("the pure core (domain/, plan/, bounce/, and what notifications say) reaches nothing effectful, directly or through what it imports", () => {
    // notify/'s core decides what is sent and to whom; only Sender, Dispatcher and NotifierLoop do I/O.
    const notifyCore = [
      "src/notify/Payload.ts",
      "src/notify/Signature.ts",
      "src/notify/Selector.ts",
      "src/notify/StatusUrl.ts",
      "src/notify/NotificationLedger.ts"
    ]
    for (const file of notifyCore) assert.isTrue(sources.has(file), `${file} is missing`)
    const pure = sourceFiles.filter((file) => under(file, ["src/domain/", "src/plan/", "src/bounce/", ...notifyCore]))
    assert.isAbove(pure.length, 20)
    assertPure(pure)
  })

  it("rollouts are folded and the status page is rendered by pure code (rollouts/, ui/ but its server edge)", () => {
    const pure = [
      "src/rollouts/Rollout.ts",
      "src/rollouts/PassTrace.ts",
      "src/rollouts/FoldPass.ts",
      "src/ui/InstanceView.ts",
      "src/ui/StatusPage.ts"
    ]
    for (const file of pure) assert.isTrue(sources.has(file), `${file} is gone: update this list`)
    assertPure(pure)
    // The rollout service reaches etcd only through its layer in store/.
    onlyFrom("etcd", isEtcd, ["src/store/"])
  })

  it("no file imports or reads the shared folder beside the repository: it stands on its own", () => {
    const files = ["src", "test", "bench", "scripts"].filter((dir) => existsSync(join(root, dir))).flatMap(tsFiles)
    const offending: Array<string> = []
    const sharedPath = new RegExp(String.raw`["'\x60][^"'\x60\n]*\.\./` + "shared\\b")
    for (const file of files) {
      const source = readFileSync(join(root, file), "utf8")
      for (const entry of importsOf(file, source)) {
        if (!entry.specifier.startsWith(".")) continue
        const target = resolveRelative(entry)
        if (target.startsWith("..")) offending.push(`  ${file}:${entry.line} imports "${entry.specifier}" (outside the repository)`)
      }
      withoutComments(source).split("\n").forEach((line, index) => {
        if (sharedPath.test(line)) offending.push(`  ${file}:${index + 1} names a path in the shared folder beside the repository`)
      })
    }
    assert.deepStrictEqual(offending, [], `files reach outside the repository:\n${offending.join("\n")}`)
  })
})
