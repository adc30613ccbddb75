// `mdeploy diff -f PATH...`: what `apply` would change, as a unified diff of the stored document
// (metadata labels/annotations and spec) against what apply would write (the manifest merged as
// domain/LastApplied.ts says). kubectl's exit codes: 0 no
// differences, 1 differences, >1 an error.
import { Console, Effect, Option, Schedule } from "effect"
import { Command, Flag } from "effect/cli"
import { stringify } from "yaml"
import { mergeApplied } from "../../domain/LastApplied.ts"
import type { ServiceInstance } from "../../domain/ServiceInstance.ts"
import { SpecStore } from "../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../CliExit.ts"
import { formatProblem } from "../input/parseManifests.ts"
import { readManifests } from "../input/readManifests.ts"
import { unifiedDiff } from "../render/LineDiff.ts"
import { etcdOptions, marathonUrls } from "../GlobalFlags.ts"
import { root } from "../Root.ts"
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

/** Seconds to wait for Marathon before showing the diff without its plan. */
const planTimeout = "5 seconds"

/** "plan for NAME: ..." lines, from the same planner the controller runs; Marathon may be away. */
const planLines = Effect.fnUntraced(function*(documents: ReadonlyArray<ServiceInstance>) {
  const flags = yield* root
  const { marathonOptionsFromEnv, reconcileLayer } = yield* Effect.promise(() => import("../../Layers.ts"))
  const { previewPlan } = yield* Effect.promise(() => import("../../controller/PlanPreview.ts"))
  const Plan = yield* Effect.promise(() => import("../../plan/Plan.ts"))
  const marathon = {
    ...marathonOptionsFromEnv(marathonUrls(flags), process.env["MDEPLOY_MESOS_URL"]),
    retrySchedule: Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 1 }))
  }
  const layer = reconcileLayer({ ...etcdOptions(flags), retries: 1 }, marathon, { owner: Option.getOrUndefined(flags.owner) })
  return yield* Effect.forEach(documents, (document) =>
    previewPlan(document.metadata.name, Option.some(document.spec)).pipe(
      Effect.map((plan) => {
        const json = Plan.toDocument(plan)
        const actions = json.actions.length === 0 ? "no actions" : json.actions.map((action) => JSON.stringify(action)).join(", ")
        return `plan for ${document.metadata.name} (${json.method}, ${json.phase}): ${actions}`
      }),
      Effect.timeoutOrElse({
        duration: planTimeout,
        orElse: () => Effect.succeed(`plan for ${document.metadata.name}: unavailable (Marathon did not answer in time)`)
      }),
      Effect.catch((error) =>
        Effect.succeed(`plan for ${document.metadata.name}: unavailable (${(error as { message?: string }).message ?? String(error)})`)
      )
    )).pipe(Effect.provide(layer), Effect.catch((error) => Effect.succeed([`plan unavailable: ${String(error)}`])))
})

export const diff = Command.make(
  "diff",
  {
    filename: filenameFlag,
    recursive: recursiveFlag,
    noPlan: Flag.Boolean("no-plan").pipe(Flag.withDescription("skip asking Marathon for the plan"), Flag.withDefault(false))
  },
  Effect.fn("Cli.diff")(function*({ filename, recursive, noPlan }) {
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
          // What apply would write: the same merge, so a pause or restart is no difference.
          const merged = mergeApplied(document, Option.getOrUndefined(stored))
          return { document: merged, text: unifiedDiff(before, comparable(merged), `live/${name}`, `desired/${name}`) }
        }), { concurrency: 8 })
    }))
    const changed = texts.filter(({ text }) => text !== "")
    for (const { text } of changed) yield* Console.log(text.trimEnd())
    if (changed.length > 0 && !noPlan) {
      for (const line of yield* planLines(changed.map(({ document }) => document))) yield* Console.log(line)
    }
    if (changed.length > 0) return yield* exitWith(ExitCode.invalid)
  })
).pipe(
  Command.withDescription("Show what apply would change (exit 0: nothing, 1: differences, >1: error)"),
  Command.withExamples([{ command: "mdeploy diff -f web.yaml", description: "Compare a manifest with what is stored" }])
)
