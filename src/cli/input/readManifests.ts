// Reads manifests named by `-f`: files, directories (their *.yaml, *.yml and *.json files, sorted;
// recursively with -R) and `-` for standard input. Files over 1 MiB are refused before they are
// read. Returns every document of every file, or every problem found, so one run reports all of
// them and a caller can refuse to write anything when any exists.
import { Effect, FileSystem, Path, Result, Stdio, Stream } from "effect"
import type { InputProblem, ManifestCheck, ManifestDocument } from "./parseManifests.ts"
import { duplicateNames, parseManifests } from "./parseManifests.ts"

export const maxManifestBytes = 1024 * 1024
/** Files read at once from one directory. */
const readConcurrency = 32

const manifestExtension = /\.(ya?ml|json)$/i

const problemAt = (file: string, message: string): InputProblem => ({ file, line: 1, col: 1, path: "", message })

const readStdin = Effect.gen(function*() {
  const stdio = yield* Stdio.Stdio
  const chunks: Array<Uint8Array> = []
  let size = 0
  yield* stdio.stdin.pipe(
    Stream.takeWhile(() => size <= maxManifestBytes),
    Stream.runForEach((chunk) => Effect.sync(() => {
      chunks.push(chunk)
      size += chunk.length
    }))
  )
  if (size > maxManifestBytes) return Result.fail(problemAt("<stdin>", "input exceeds the 1 MiB limit"))
  return Result.succeed(Buffer.concat(chunks).toString("utf8"))
})

/** Expands one `-f` argument into the files it names. */
const filesOf = Effect.fnUntraced(function*(target: string, recursive: boolean) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const info = yield* fs.stat(target)
  if (info.type !== "Directory") return [target]
  const entries = yield* fs.readDirectory(target, { recursive })
  const candidates = entries.filter((entry) => manifestExtension.test(entry)).sort().map((entry) => path.join(target, entry))
  const kinds = yield* Effect.forEach(candidates, (file) => Effect.map(fs.stat(file), (entry) => entry.type), {
    concurrency: readConcurrency
  })
  return candidates.filter((_, index) => kinds[index] === "File")
})

const readFile = Effect.fnUntraced(function*(file: string) {
  const fs = yield* FileSystem.FileSystem
  const info = yield* fs.stat(file)
  if (Number(info.size) > maxManifestBytes) {
    return Result.fail(problemAt(file, `file is ${(Number(info.size) / 1048576).toFixed(1)} MiB, over the 1 MiB limit`))
  }
  const bytes = yield* fs.readFile(file)
  return Result.succeed(Buffer.from(bytes).toString("utf8"))
})

export const readManifests = Effect.fn("readManifests")(function*(
  targets: ReadonlyArray<string>,
  recursive: boolean,
  check?: ManifestCheck
) {
  const documents: Array<ManifestDocument> = []
  const problems: Array<InputProblem> = []
  for (const target of targets) {
    const texts: Array<readonly [string, Result.Result<string, InputProblem>]> = []
    if (target === "-") texts.push(["<stdin>", yield* readStdin])
    else {
      const listed = yield* Effect.result(filesOf(target, recursive))
      if (Result.isFailure(listed)) {
        problems.push(problemAt(target, listed.failure.message))
        continue
      }
      const files = listed.success
      if (files.length === 0) problems.push(problemAt(target, "no *.yaml, *.yml or *.json files here"))
      const contents = yield* Effect.forEach(files, (file) =>
        readFile(file).pipe(
          Effect.catch((error) => Effect.succeed(Result.fail(problemAt(file, error.message)))),
          Effect.map((text) => [file, text] as const)
        ), { concurrency: readConcurrency })
      texts.push(...contents)
    }
    for (const [file, text] of texts) {
      if (Result.isFailure(text)) {
        problems.push(text.failure)
        continue
      }
      const parsed = parseManifests(file, text.success, check)
      if (Result.isFailure(parsed)) problems.push(...parsed.failure)
      else documents.push(...parsed.success)
    }
  }
  problems.push(...duplicateNames(documents))
  return { documents, problems }
})
