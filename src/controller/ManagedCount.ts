// How many instances this installation manages right now, for the deletion budget (design.md
// §11): those running apps of ours in a full Marathon list taken for the decision. The list is not
// held to the plausibility checks that guard actions: an answer missing apps only lowers the
// count, and a lower count only refuses more. A list that cannot be had counts none (refuse, and
// come back later).
import { Effect } from "effect"
import { instanceNameOf } from "../domain/AppIdentity.ts"
import { owns } from "../domain/Ownership.ts"
import { MarathonClient } from "../marathon/MarathonClient.ts"
import { Owner } from "./Owner.ts"

/** Resolves the Marathon client and owner once; the effect it returns lists afresh each time. */
export const makeManagedCount = Effect.gen(function*() {
  const marathon = yield* MarathonClient
  const ownership = yield* Owner
  return Effect.gen(function*() {
    const apps = yield* marathon.listApps.pipe(
      Effect.tapError((error) =>
        Effect.logWarning("cannot count managed instances; tear-downs wait").pipe(Effect.annotateLogs({ error: error.message }))
      ),
      Effect.orElseSucceed(() => [])
    )
    const names = new Set<string>()
    for (const app of apps) {
      const name = instanceNameOf(app.id)
      if (name !== undefined && owns(ownership, app.labels)) names.add(name)
    }
    return names as ReadonlySet<string>
  })
})
