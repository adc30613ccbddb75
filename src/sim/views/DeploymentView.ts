// /v2/deployments entries (types/deploymentEventsInfo.raml DeploymentStepInfo, spec §1.13):
// plan, affected apps, the current step's actions with their readiness results.
import type { ActionRun, Deployment, ReadinessView } from "../deploy/Deployment.ts"
import { planJson } from "../deploy/Deployment.ts"

export const readinessJson = (r: ReadinessView) => {
  const out: Record<string, unknown> = { taskId: r.taskId, name: r.result.name, ready: r.result.ready }
  if (r.result.lastResponse !== undefined) out["lastResponse"] = { ...r.result.lastResponse }
  return out
}

const currentActions = (d: Deployment) =>
  d.currentStep === 0
    ? []
    : d.runs.map((r: ActionRun) => ({ action: r.action, app: r.appId, readinessCheckResults: r.readiness().map(readinessJson) }))

export const deploymentObject = (d: Deployment) => {
  const plan = planJson(d)
  return {
    id: d.id,
    version: d.version,
    affectedApps: d.affectedApps,
    affectedPods: [],
    steps: plan.steps,
    currentActions: currentActions(d),
    currentStep: d.currentStep,
    totalSteps: d.steps.length
  }
}
