// How a change becomes a deployment plan (spec §4.1): stop steps for removed apps, start steps
// for new ones, then dependency-ordered steps where each changed app is scaled (only `instances`
// changed, or scaled to 0) or restarted (anything else). Pure functions over definitions.
import { canonicalJson } from "../../domain/CanonicalJson.ts"
import type { AppDef } from "../apps/AppDef.ts"

export type ActionName = "StartApplication" | "StopApplication" | "ScaleApplication" | "RestartApplication"

export interface PlanAction {
  readonly action: ActionName
  readonly app: string
}

export type Step = ReadonlyArray<PlanAction>

export interface AppChange {
  readonly id: string
  readonly before: AppDef | undefined
  readonly after: AppDef | undefined
  /** The restart endpoint: restart even though the definition is unchanged. */
  readonly restart?: boolean
}

const ignoredForConfig = new Set(["id", "instances", "version", "versionInfo"])

/** A stable text of everything that makes a change a "config change" (all but instances). */
export const configKey = (def: AppDef): string =>
  canonicalJson(Object.fromEntries(Object.entries(def).filter(([k]) => !ignoredForConfig.has(k))))

export const isConfigChange = (before: AppDef, after: AppDef): boolean => configKey(before) !== configKey(after)

const actionFor = (c: AppChange): ActionName | undefined => {
  if (c.after === undefined) return undefined
  if (c.before === undefined) return "ScaleApplication"
  if (c.restart === true) return "RestartApplication"
  const config = isConfigChange(c.before, c.after)
  if (!config && c.before.instances === c.after.instances) return undefined
  return !config || c.after.instances === 0 ? "ScaleApplication" : "RestartApplication"
}

/** Definitions after the change, by id (the whole root group, looked up lazily). */
export type Target = (id: string) => AppDef | undefined

/** Longest dependency chain below an app, over the apps that will exist afterwards. */
const depths = (target: Target) => {
  const memo = new Map<string, number>()
  const visit = (id: string, seen: Set<string>): number => {
    const known = memo.get(id)
    if (known !== undefined) return known
    if (seen.has(id)) return 0
    seen.add(id)
    let d = 0
    for (const dep of target(id)?.dependencies ?? []) if (target(dep) !== undefined) d = Math.max(d, visit(dep, seen) + 1)
    seen.delete(id)
    memo.set(id, d)
    return d
  }
  return (id: string) => visit(id, new Set())
}

export const buildPlan = (changes: ReadonlyArray<AppChange>, target: Target): Array<Step> => {
  const steps: Array<Step> = []
  const stops = changes.filter((c) => c.before !== undefined && c.after === undefined).map((c) => ({
    action: "StopApplication" as const,
    app: c.id
  }))
  const starts = changes.filter((c) => c.before === undefined && c.after !== undefined).map((c) => ({
    action: "StartApplication" as const,
    app: c.id
  }))
  if (stops.length > 0) steps.push(stops)
  if (starts.length > 0) steps.push(starts)
  const depth = depths(target)
  const byDepth = new Map<number, Array<PlanAction>>()
  for (const c of changes) {
    const action = actionFor(c)
    if (action === undefined) continue
    const d = depth(c.id)
    const list = byDepth.get(d) ?? []
    list.push({ action, app: c.id })
    byDepth.set(d, list)
  }
  for (const d of [...byDepth.keys()].sort((a, b) => a - b)) steps.push(byDepth.get(d)!)
  return steps
}

/** Whether a dependency cycle passes through one of `ids` (a new cycle must). */
export const hasCycle = (ids: ReadonlyArray<string>, target: Target): boolean => {
  const state = new Map<string, 1 | 2>()
  const visit = (id: string): boolean => {
    const s = state.get(id)
    if (s === 1) return true
    if (s === 2) return false
    state.set(id, 1)
    for (const dep of target(id)?.dependencies ?? []) if (target(dep) !== undefined && visit(dep)) return true
    state.set(id, 2)
    return false
  }
  return ids.some(visit)
}
