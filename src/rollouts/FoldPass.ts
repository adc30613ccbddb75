// Folds one reconcile pass into an instance's rollout history. Pure: the history and the pass come
// in, the new history and what changed go out, so the etcd writer, the memory layer and the tests
// decide the same way.
//
// * A pass's actions become "act" steps. The time between the last step and the next pass that
//   acts (or finishes the rollout) becomes a "wait" step — "wait for drain" when the pass before it
//   left tasks draining, else "wait for Marathon" (new tasks to launch and turn healthy, a
//   deployment to finish) — so a timeline shows both where the controller acted and where it waited.
//   Shorter gaps than `minWaitMs` are passes following each other, not waiting.
// * Result: Succeeded once a pass of that generation leaves the instance Running; Failed while it
//   is Stalled (no progress within progressDeadlineSeconds) or Invalid, InProgress again if it moves;
//   Superseded when a pass of a newer generation starts before it finished.
// * A steady instance records nothing: a pass that neither acts nor finds its generation unfinished
//   starts no rollout, so idle resync passes never write.
import type { PassTrace, Rollout, RolloutResult, RolloutStep } from "./Rollout.ts"
import { rolloutLimit, stepLimit } from "./Rollout.ts"

export const minWaitMs = 500

export interface Folded {
  /** Newest generation first, at most `rolloutLimit`. */
  readonly history: ReadonlyArray<Rollout>
  /** Rollouts that differ from the ones passed in (to write). */
  readonly changed: ReadonlyArray<Rollout>
  /** Generations pushed out of the newest `rolloutLimit` (to delete). */
  readonly dropped: ReadonlyArray<number>
}

const iso = (ms: number): string => new Date(ms).toISOString()

const resultOf = (phase: string): RolloutResult =>
  phase === "Running" ? "Succeeded" : phase === "Stalled" || phase === "Invalid" ? "Failed" : "InProgress"

const capped = (steps: ReadonlyArray<RolloutStep>): ReadonlyArray<RolloutStep> =>
  steps.length <= stepLimit ? steps : [...steps.slice(0, 20), ...steps.slice(steps.length - (stepLimit - 20))]

const identity = (pass: PassTrace, appId: string | undefined) => ({
  "mdeploy.instance": pass.instance,
  "mdeploy.generation": pass.generation,
  ...(appId === undefined ? {} : { "mdeploy.app_id": appId }),
  ...(pass.source === undefined ? {} : { "mdeploy.source": pass.source }),
  ...(pass.revision === undefined ? {} : { "mdeploy.revision": pass.revision })
})

/**
 * What the time after a pass waits for: drains it just asked for, or drains it found under way
 * and did not end (no kill); otherwise Marathon (tasks to launch and turn healthy, kills, deletes).
 */
const waitingFor = (pass: PassTrace): "drain" | "marathon" => {
  const last = pass.actions.at(-1)?.name
  if (last?.startsWith("drain ")) return "drain"
  if (last !== undefined && /^(kill |delete |scale )/.test(last)) return "marathon"
  return pass.draining > 0 ? "drain" : "marathon"
}

/** The rollout of the pass's generation after the pass. */
const advance = (base: Rollout, pass: PassTrace): Rollout => {
  const steps: Array<RolloutStep> = [...base.steps]
  const result = resultOf(pass.phase)
  const last = steps.at(-1)
  const closes = pass.actions.length > 0 || result !== "InProgress"
  if (closes && last !== undefined && base.result !== "Succeeded") {
    const from = Date.parse(last.finishedAt)
    const to = pass.actions[0]?.startedAt ?? pass.finishedAt
    if (to - from >= minWaitMs) {
      steps.push({
        name: base.waitingFor === "drain" ? "wait for drain" : "wait for Marathon",
        startedAt: iso(from),
        finishedAt: iso(to),
        attributes: { ...identity(pass, pass.appId ?? base.appId), "mdeploy.step.kind": "wait" },
        traceId: pass.traceId
      })
    }
  }
  for (const action of pass.actions) {
    steps.push({
      name: action.name,
      startedAt: iso(action.startedAt),
      finishedAt: iso(action.finishedAt),
      attributes: {
        ...identity(pass, pass.appId),
        ...action.attributes,
        "mdeploy.step.kind": "act",
        ...(action.failed ? { "mdeploy.step.failed": true } : {})
      },
      traceId: pass.traceId
    })
  }
  const appId = pass.appId ?? base.appId
  const source = pass.source ?? base.source
  return {
    generation: base.generation,
    startedAt: base.startedAt,
    ...(result === "InProgress"
      ? {}
      : { finishedAt: base.result === result && base.finishedAt !== undefined ? base.finishedAt : iso(pass.finishedAt) }),
    result,
    ...(appId === undefined ? {} : { appId }),
    ...(source === undefined ? {} : { source }),
    ...(result === "Succeeded" ? {} : { waitingFor: waitingFor(pass) }),
    steps: capped(steps)
  }
}

const same = (a: Rollout | undefined, b: Rollout): boolean => a !== undefined && JSON.stringify(a) === JSON.stringify(b)

export const foldPass = (history: ReadonlyArray<Rollout>, pass: PassTrace): Folded => {
  const sorted = [...history].sort((a, b) => b.generation - a.generation)
  const unchanged: Folded = {
    history: sorted.slice(0, rolloutLimit),
    changed: [],
    dropped: sorted.slice(rolloutLimit).map((r) => r.generation)
  }
  const existing = sorted.find((rollout) => rollout.generation === pass.generation)
  const newest = sorted[0]?.generation ?? 0
  // A pass of an older generation (a slow pass overtaken by an edit) changes nothing.
  if (existing === undefined && pass.generation < newest) return unchanged
  // Steady: nothing done, nothing pending, and no rollout of this generation to finish.
  if (existing === undefined && pass.actions.length === 0 && resultOf(pass.phase) === "Succeeded") return unchanged
  const base: Rollout = existing ??
    { generation: pass.generation, startedAt: iso(pass.actions[0]?.startedAt ?? pass.startedAt), result: "InProgress", steps: [] }
  const next = advance(base, pass)
  const updated = sorted.map((rollout): Rollout => {
    if (rollout.generation === pass.generation) return next
    if (rollout.generation < pass.generation && (rollout.result === "InProgress" || rollout.result === "Failed")) {
      const { waitingFor: _waiting, ...rest } = rollout
      return { ...rest, result: "Superseded", finishedAt: iso(pass.startedAt) }
    }
    return rollout
  })
  if (existing === undefined) updated.push(next)
  updated.sort((a, b) => b.generation - a.generation)
  const kept = updated.slice(0, rolloutLimit)
  const before = new Map(sorted.map((rollout) => [rollout.generation, rollout]))
  return {
    history: kept,
    changed: kept.filter((rollout) => !same(before.get(rollout.generation), rollout)),
    dropped: updated.slice(rolloutLimit).map((rollout) => rollout.generation)
  }
}
