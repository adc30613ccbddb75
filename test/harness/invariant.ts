// Invariants asserted on every poll, not once at the end: a background loop evaluates a check every
// few milliseconds while a test drives the system, and keeps every violation it saw. A test ends
// with `stop()` and asserts the list is empty — so a moment of harm that healed is still caught.
export interface InvariantWatch {
  /** Stops polling; resolves with every violation seen (and the number of polls made). */
  readonly stop: () => Promise<{ readonly violations: ReadonlyArray<string>; readonly polls: number }>
}

export const watchInvariant = (
  check: () => Promise<string | undefined> | string | undefined,
  intervalMs = 50
): InvariantWatch => {
  const violations: Array<string> = []
  let polls = 0
  let running = true
  const loop = (async () => {
    while (running) {
      try {
        const problem = await check()
        polls++
        if (problem !== undefined && !violations.includes(problem)) violations.push(problem)
      } catch {
        // An unreachable observer is not a violation; the next poll tries again.
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return { violations, polls }
    }
  }
}
