// The launch delay of an app (spec §4.8, RateLimiter): failures raise it by backoffFactor up to
// maxLaunchDelaySeconds, a quiet period of delay + maxLaunchDelay resets it, and config changes,
// restarts and DELETE /v2/queue/{id}/delay clear it. TASK_KILLED never raises it.
import type { AppRecord } from "../state/SimContext.ts"

export const raiseDelay = (app: AppRecord, now: number): void => {
  const base = app.def.backoffSeconds * 1000
  const max = app.def.maxLaunchDelaySeconds * 1000
  const b = app.backoff
  const delayMs = b === undefined || now > b.until + max ? base : Math.min(b.delayMs * app.def.backoffFactor, max)
  app.backoff = { delayMs, until: now + delayMs }
}

/** Milliseconds until the app may launch again (0 when not delayed). */
export const timeLeft = (app: AppRecord, now: number): number => app.backoff === undefined ? 0 : Math.max(0, app.backoff.until - now)
