// Reads manifests named by `-f`: files, directories (their *.yaml, *.yml and *.json files, sorted;
// recursively with -R) and `-` for standard input. Input over 1 MiB is refused: a regular file by
// its size before it is read, anything else (stdin, a pipe, a FIFO, /dev/zero, a file still
// growing) by reading at most 1 MiB + 1 byte and stopping there, so no input can make the CLI
// buffer more. Returns every document of every file, or every problem found, so one run reports
// all of them and a caller can refuse to write anything when any exists.
import { Cause, Effect, FileSystem, Path, Queue, Result, Stdio, Stream } from "effect"
import { createReadStream } from "node:fs"
import type { InputProblem, ManifestCheck, ManifestDocument, NotifierDocument, SourceDocument } from "./parseManifests.ts"
import { duplicateNames, parseResources } from "./parseManifests.ts"

export const maxManifestBytes = 1024 * 1024
/** Files read at once from one directory. */
const readConcurrency = 32

const manifestExtension = /\.(ya?ml|json)$/i

const problemAt = (file: string, message: string): InputProblem => ({ file, line: 1, col: 1, path: "", message })

const overLimit = (file: string) => problemAt(file, "input is over the 1 MiB limit")

/** Collects a byte stream up to the limit; the first byte past it ends the read (and the stream). */
const collectBounded = <E, R>(file: string, bytes: Stream.Stream<Uint8Array, E, R>) =>
  Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* bytes.pipe(
      Stream.takeWhile(() => size <= maxManifestBytes),
      Stream.runForEach((chunk) =>
        Effect.sync(() => {
          // Keep no more than limit + 1 bytes, whatever size the chunks come in.
          const kept = chunk.length > maxManifestBytes + 1 - size ? chunk.subarray(0, maxManifestBytes + 1 - size) : chunk
          chunks.push(kept)
          size += kept.length
        })
      )
    )
    if (size > maxManifestBytes) return Result.fail(overLimit(file))
    return Result.succeed(Buffer.concat(chunks).toString("utf8"))
  })

const readStdin = Effect.gen(function*() {
  const stdio = yield* Stdio.Stdio
  return yield* collectBounded("<stdin>", stdio.stdin)
})

/**
 * Reads at most limit + 1 bytes of anything that can be opened. Node's stream reads from the
 * current position (never pread), so pipes, FIFOs and character devices work, and `end` stops it
 * at the limit however much the writer has left.
 */
const readAtMost = (file: string) =>
  Stream.callback<Uint8Array, Error>((queue) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const stream = createReadStream(file, { end: maxManifestBytes })
        stream.on("data", (chunk) => Queue.offerUnsafe(queue, chunk as Buffer))
        stream.on("error", (error) => Queue.failCauseUnsafe(queue, Cause.fail(error)))
        stream.on("end", () => Queue.endUnsafe(queue))
        return stream
      }),
      (stream) => Effect.sync(() => stream.destroy())
    )
  )

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
  return yield* collectBounded(file, readAtMost(file))
})

export const readManifests = Effect.fn("readManifests")(function*(
  targets: ReadonlyArray<string>,
  recursive: boolean,
  check?: ManifestCheck
) {
  const documents: Array<ManifestDocument> = []
  const sources: Array<SourceDocument> = []
  const notifiers: Array<NotifierDocument> = []
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
      const parsed = parseResources(file, text.success, check)
      if (Result.isFailure(parsed)) problems.push(...parsed.failure)
      else {
        documents.push(...parsed.success.instances)
        sources.push(...parsed.success.sources)
        notifiers.push(...parsed.success.notifiers)
      }
    }
  }
  problems.push(...duplicateNames(documents), ...duplicateNames(sources), ...duplicateNames(notifiers))
  return { documents, sources, notifiers, problems }
})
