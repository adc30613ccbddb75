// A Marathon error answer (spec §2): status and JSON body exactly as Marathon writes them. The
// synchronous model throws these; the HTTP layer turns them into responses.
import type { PathErrors } from "../apps/Shape.ts"

export class ApiError extends Error {
  readonly status: number
  readonly body: Record<string, unknown>

  constructor(status: number, body: Record<string, unknown>) {
    super(String(body["message"]))
    this.status = status
    this.body = body
  }
}

export const notFound = (message: string): ApiError => new ApiError(404, { message })

export const appNotFound = (id: string): ApiError => notFound(`App '${id}' does not exist`)

export const invalidJson = (details: ReadonlyArray<PathErrors>): ApiError => new ApiError(422, { message: "Invalid JSON", details })

export const notValid = (details: ReadonlyArray<PathErrors>): ApiError => new ApiError(422, { message: "Object is not valid", details })

export const locked = (ids: ReadonlyArray<string>): ApiError =>
  new ApiError(409, {
    message:
      "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
    deployments: ids.map((id) => ({ id }))
  })

/** Marathon 1.10's TooManyRunningDeploymentsException text, its missing space ("oneusing") included. */
export const tooManyDeployments = (max: number): string =>
  `Max number (${max}) of running deployments is achieved. Wait for existing deployments to complete or cancel one` +
  "using force=true parameter. You can increase max deployment number by using --max_running_deployments parameter " +
  "but be advised that this can have negative effects on the performance."
