// `mdeploy diff -f PATH...`: what `apply` would change, as a unified diff of the stored document
// (metadata labels/annotations and spec) against the manifest. kubectl's exit codes: 0 no
// differences, 1 differences, >1 an error.
import { Console, Effect, Option } from "effect"
import { Command } from "effect/cli"
import { stringify } from "yaml"
import type { ServiceInstance } from "../../domain/ServiceInstance.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { unifiedDiff } from "../render/LineDiff.ts"
import { withStores } from "../Stores.ts"
import { filenameFlag, recursiveFlag } from "./Apply.ts"

/** The part of a document that apply writes, in a stable shape for diffing. */
const comparable = (document: Pick<ServiceInstance, "metadata" | "spec">): string =>
  stringify({
    metadata: {
      name: document.metadata.name,
      ...(document.metadata.labels === undefined ? {} : { labels: document.metadata.labels }),
      ...(document.metadata.annotations === undefined ? {} : { annotations: document.metadata.annotations })
    },
    spec: document.spec
  }, { lineWidth: 0, sortMapEntries: true })

export const diff = Command.make(
  "diff",
  { filename: filenameFlag, recursive: recursiveFlag },
  Effect.fn("Cli.diff")(function*({ filename, recursive }) {
    const { documents, problems } = yield* readManifests(filename, recursive)
    // diff reports invalid input as an error (>1), never as "differences".
    if (problems.length > 0) return yield* exitWith(ExitCode.error, ...problems.map(formatProblem))
    const texts = yield* withStores(Effect.gen(function*() {
      const store = yield* SpecStore
      return yield* Effect.forEach(documents, ({ document }) =>
        Effect.gen(function*() {
          const name = document.metadata.name
          const stored = yield* store.get(name)
          const before = Option.isSome(stored) ? comparable(stored.value) : ""
          return unifiedDiff(before, comparable(document), `live/${name}`, `desired/${name}`)
        }), { concurrency: 8 })
    }))
    const changed = texts.filter((text) => text !== "")
    for (const text of changed) yield* Console.log(text.trimEnd())
    if (changed.length > 0) return yield* exitWith(ExitCode.invalid)
  })
).pipe(
  Command.withDescription("Show what apply would change (exit 0: nothing, 1: differences, >1: error)"),
  Command.withExamples([{ command: "mdeploy diff -f web.yaml", description: "Compare a manifest with what is stored" }])
)
