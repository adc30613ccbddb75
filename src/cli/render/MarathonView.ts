// Pure: an instance's Marathon side for `describe` — each app under its id prefix (marked when
// mdeploy does not manage it) with its tasks: state, health, host and age.
import { DateTime } from "effect"
import type { ObservedApp } from "../../plan/Observed.ts"
import { formatAge, renderTable } from "./Table.ts"

export const marathonView = (apps: ReadonlyArray<ObservedApp>, nowMillis: number): string => {
  if (apps.length === 0) return "<no apps>"
  return apps.map((app) => {
    const managed = app.labels["MDEPLOY_MANAGED"] === "true" ? "" : "  (not managed by mdeploy: never touched)"
    const header = `${app.id}  instances=${app.instances}${
      app.deployments.length > 0 ? `  deployments=${app.deployments.length}` : ""
    }${managed}`
    if (app.tasks.length === 0) return `${header}\n  <no tasks>`
    const rows = app.tasks.map((task) => [
      task.id.length > 60 ? `…${task.id.slice(-59)}` : task.id,
      task.state,
      task.healthCheckResults.length === 0 ? "-" : task.healthCheckResults.some((result) => result.alive) ? "healthy" : "unhealthy",
      task.host,
      task.startedAt === undefined ? "-" : formatAge(DateTime.toEpochMillis(task.startedAt), nowMillis)
    ])
    const table = renderTable(["TASK", "STATE", "HEALTH", "HOST", "UP"], rows).split("\n").map((line) => `  ${line}`).join("\n")
    return `${header}\n${table}`
  }).join("\n")
}
