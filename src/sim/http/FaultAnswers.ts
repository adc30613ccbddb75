// What an injected HTTP error looks like on the wire (F2): Marathon's own texts and formats —
// JSON for its exception mapper, Jetty HTML pages for the leader proxy and the concurrency
// limit, an empty body for a failing authenticator.
import { STATUS_CODES } from "node:http"
import type { Exchange } from "./Exchange.ts"
import type { HttpFault } from "./Faults.ts"

const maxDeployments =
  "Max number (100) of running deployments is achieved. Wait for existing deployments to complete or cancel oneusing force=true parameter. You can use the /v2/deployments endpoint to cancel deployments."

export const answerFault = (x: Exchange, f: HttpFault): void => {
  switch (f.error) {
    case "internal":
      return x.ok(f.status ?? 500, { message: f.message ?? "An unexpected server error occurred." })
    case "leaderRefused":
      return x.page(502, "Connection to leader refused.")
    case "proxyLoop":
      return x.page(502, "Detected proxying loop.")
    case "noLeader":
      return x.page(502, "Could not determine the current leader")
    case "unavailable":
      return x.send(503, "", undefined)
    case "tooManyRequests":
      return x.page(503, f.message ?? "Too many concurrent requests! Allowed: 1.")
    case "maxDeployments":
      return x.ok(403, { message: f.message ?? maxDeployments })
    case "timeout":
      return x.ok(503, { message: f.message ?? "Timed out while waiting for the leader." })
    case undefined: {
      const status = f.status ?? 500
      if (status === 503 && f.message === undefined) return x.send(503, "", undefined)
      return x.ok(status, { message: f.message ?? STATUS_CODES[status] ?? "Error" })
    }
  }
}
