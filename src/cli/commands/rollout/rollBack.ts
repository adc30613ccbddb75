// The change `rollout undo` makes: the instance's spec with a kept revision's app-defining fields.
// The revision is chosen from a fresh read on every try of the compare-and-swap, except after a
// write etcd did not answer: that write may have landed, and choosing again would then go back one
// revision further. So a repeat keeps the revision its unanswered try chose, and a repeat that
// finds it restored reports the first try's write as the command's (updateSpec.ts).
import { Effect, Option } from "effect"
import { canonicalJson } from "../../../domain/CanonicalJson.ts"
import { appIdOf, restoreRevision } from "../../../domain/Revision.ts"
import type { HistoryEntry } from "../../../store/SpecStore.ts"
import { SpecStore } from "../../../store/SpecStore.ts"
import { ExitCode, exitWith } from "../../CliExit.ts"
import { updateSpec } from "./updateSpec.ts"

/** Rolls `name` back to revision `toRevision`, or to the newest kept one whose app differs from the running one. */
export const rollBack = Effect.fn("Cli.rollout.rollBack")(function*(name: string, toRevision: Option.Option<number>) {
  const specs = yield* SpecStore
  let chosen: HistoryEntry | undefined
  const choose = Effect.fnUntraced(function*(running: string) {
    const kept = yield* specs.history(name)
    const target = Option.isSome(toRevision)
      ? kept.find((entry) => entry.generation === toRevision.value)
      : kept.filter((entry) => (entry.appId ?? appIdOf(name, entry.spec)) !== running).at(-1)
    if (target !== undefined) return target
    const list = kept.map((entry) => entry.generation).join(", ")
    return yield* Option.isSome(toRevision)
      ? exitWith(
        ExitCode.invalid,
        `error: serviceinstance/${name} has no revision ${toRevision.value} (kept: ${list === "" ? "none" : list})`
      )
      : exitWith(
        ExitCode.invalid,
        `error: serviceinstance/${name} has no earlier revision to roll back to (kept: ${list === "" ? "none" : list})`
      )
  })
  const update = yield* updateSpec(name, (instance, { afterUnanswered }) =>
    Effect.gen(function*() {
      chosen = afterUnanswered && chosen !== undefined ? chosen : yield* choose(appIdOf(name, instance.spec))
      const restored = restoreRevision(instance.spec, chosen.spec)
      // Nothing to write when the instance already runs it (as after an unanswered write that landed).
      return canonicalJson(restored) === canonicalJson(instance.spec) ? Option.none() : Option.some(restored)
    }), { repeatUnanswered: true })
  return { update, revision: chosen!.generation }
})
