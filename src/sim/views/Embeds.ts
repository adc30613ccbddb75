// The `embed` query parameter (spec §1.1, §1.3, §1.15): prefixes `apps.`, `app.` and
// `group.apps.` or a bare name; unknown values are ignored. Counts and deployments are always
// given; `tasks` implies deployments; the single-app GET always adds tasks and lastTaskFailure.

export interface Embeds {
  readonly tasks: boolean
  readonly readiness: boolean
  readonly lastTaskFailure: boolean
  readonly taskStats: boolean
}

const prefixes = ["group.apps.", "apps.", "app.", "group."]

export const parseEmbeds = (values: ReadonlyArray<string>, single: boolean): Embeds => {
  const names = new Set(
    values.map((v) => {
      const p = prefixes.find((x) => v.startsWith(x))
      return p === undefined ? v : v.slice(p.length)
    })
  )
  const failures = names.has("failures")
  return {
    tasks: single || failures || names.has("tasks"),
    readiness: names.has("readiness"),
    lastTaskFailure: single || failures || names.has("lastTaskFailure"),
    taskStats: names.has("taskStats")
  }
}
