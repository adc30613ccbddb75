// Reads one reconcile pass from its finished spans: the root `Reconciler.reconcile` span carries the
// instance, generation, phase and app the pass settled on (annotated by the reconciler), and each
// `Executor.<action>` span below it is one thing the pass did; the leader key it ran under is on the
// root too. Pure.
import type { AttributeValue, RecordedSpan } from "../telemetry/SpanRecorder.ts"
import type { PassAction, PassTrace } from "./Rollout.ts"

export const passRootName = "Reconciler.reconcile"

/** The span names a pass is read from; the tap keeps only these. */
export const isPassSpan = (name: string): boolean => name === passRootName || (name.startsWith("Executor.") && name !== "Executor.run")

// Attributes copied onto steps: what a person needs to find the action again; no task ids (many).
const stepAttributeKeys = ["mdeploy.app_id", "mdeploy.task_count", "mdeploy.instances", "mdeploy.scale.reason", "mdeploy.drain.failures"]

const text = (value: AttributeValue | undefined): string | undefined => typeof value === "string" && value !== "" ? value : undefined
const count = (value: AttributeValue | undefined): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

/** A step's name, the way a person says it: "create app", "scale to 3", "drain 2", "kill 2", "delete old app". */
export const stepName = (spanName: string, attributes: Readonly<Record<string, AttributeValue>>): string => {
  const tasks = count(attributes["mdeploy.task_count"])
  switch (spanName) {
    case "Executor.createApp":
      return "create app"
    case "Executor.scaleApp":
      return `scale to ${count(attributes["mdeploy.instances"]) ?? "?"}`
    case "Executor.drainTasks":
      return `drain ${tasks ?? "?"}`
    case "Executor.stopDraining":
      return `stop draining ${tasks ?? "?"}`
    case "Executor.killTasks":
      return `kill ${tasks ?? "?"}`
    case "Executor.deleteApp":
      return "delete old app"
    default:
      return spanName.replace(/^Executor\./, "")
  }
}

/**
 * The pass whose root span is `root`, from the spans of its trace; undefined for a pass that says
 * nothing about a rollout (no generation: a deleted or unreadable spec, a pass that failed early).
 */
export const passOf = (spans: ReadonlyArray<RecordedSpan>): PassTrace | undefined => {
  const root = spans.find((span) => span.name === passRootName && span.parentSpanId === undefined) ??
    spans.find((span) => span.name === passRootName)
  if (root === undefined) return undefined
  const instance = text(root.attributes["mdeploy.instance"])
  const generation = count(root.attributes["mdeploy.generation"])
  const phase = text(root.attributes["mdeploy.phase"])
  if (instance === undefined || generation === undefined || phase === undefined) return undefined
  const fenceKey = text(root.attributes["mdeploy.fence.key"])
  const fenceRevision = text(root.attributes["mdeploy.fence.revision"])
  const actions: Array<PassAction> = spans
    .filter((span) => span.traceId === root.traceId && isPassSpan(span.name) && span.name !== passRootName)
    .sort((a, b) => a.startTimeMs - b.startTimeMs || a.startOrder - b.startOrder)
    .map((span) => {
      const attributes: Record<string, string | number | boolean> = {}
      for (const key of stepAttributeKeys) {
        const value = span.attributes[key]
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") attributes[key] = value
      }
      return {
        name: stepName(span.name, span.attributes),
        startedAt: span.startTimeMs,
        finishedAt: span.startTimeMs + span.durationMs,
        attributes,
        failed: span.status === "error"
      }
    })
  return {
    instance,
    generation,
    traceId: root.traceId,
    startedAt: root.startTimeMs,
    finishedAt: root.startTimeMs + root.durationMs,
    phase,
    appId: text(root.attributes["mdeploy.app_id"]),
    source: text(root.attributes["mdeploy.source"]),
    revision: text(root.attributes["mdeploy.revision"]),
    draining: count(root.attributes["mdeploy.draining"]) ?? 0,
    actions,
    ...(fenceKey === undefined || fenceRevision === undefined ? {} : { fence: { key: fenceKey, createRevision: fenceRevision } })
  }
}
