// Pure: a rollout's steps (design.md §13) for the terminal — a table for `describe` and
// `rollout history --revision N`, a one-line summary with per-step durations for the history table.
import type { Rollout } from "../../rollouts/Rollout.ts"
import { stepSeconds } from "../../rollouts/Rollout.ts"
import { renderTable } from "./Table.ts"

const seconds = (value: number): string => value < 60 ? `${value.toFixed(1)}s` : `${Math.floor(value / 60)}m${Math.round(value % 60)}s`

/** How long the rollout took (to now while it runs). */
export const rolloutSeconds = (rollout: Rollout, nowMillis: number): number =>
  Math.max(0, ((rollout.finishedAt === undefined ? nowMillis : Date.parse(rollout.finishedAt)) - Date.parse(rollout.startedAt)) / 1000)

/** `Succeeded in 12.3s`, `InProgress for 4.0s`. */
export const rolloutOutcome = (rollout: Rollout, nowMillis: number): string =>
  `${rollout.result} ${rollout.finishedAt === undefined ? "for" : "in"} ${seconds(rolloutSeconds(rollout, nowMillis))}`

/** `create app 0.1s, wait for Marathon 4.2s, drain 3 0.0s, …` */
export const stepsSummary = (rollout: Rollout): string =>
  rollout.steps.length === 0 ? "-" : rollout.steps.map((step) => `${step.name} ${seconds(stepSeconds(step))}`).join(", ")

/** One row per step: when it started, how long it took, acting or waiting, and the trace to look it up by. */
export const stepsTable = (rollout: Rollout, nowMillis: number): string =>
  [
    `Generation ${rollout.generation}: ${rolloutOutcome(rollout, nowMillis)}${rollout.appId === undefined ? "" : ` (${rollout.appId})`}`,
    rollout.steps.length === 0 ? "<no steps>" : renderTable(
      ["STEP", "STARTED", "DURATION", "KIND", "TRACE"],
      rollout.steps.map((step) => [
        step.name,
        step.startedAt,
        seconds(stepSeconds(step)),
        String(step.attributes["mdeploy.step.kind"] ?? "act"),
        step.traceId
      ])
    )
  ].join("\n")
